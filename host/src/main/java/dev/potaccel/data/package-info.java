/**
 * Input and output files for running a model: file or directory path → {@link
 * dev.potaccel.data.InputBatch} (a float32 {@link dev.potaccel.graph.Tensor}, batch first, checked
 * against the model's declared input) from NumPy {@code .npy}, ONNX TensorProto {@code .pb} and
 * pictures (PNG/JPEG, converted, resized and normalised as the model's sidecar
 * {@link dev.potaccel.data.ModelMetadata} says); tensor → {@code .npy} through
 * {@link dev.potaccel.data.NpyWriter}.
 *
 * <p>Datasets: IDX files (gzipped or not) → {@link dev.potaccel.data.IdxImages} and
 * {@link dev.potaccel.data.IdxLabels} through {@link dev.potaccel.data.IdxReader} (and back with
 * {@link dev.potaccel.data.IdxWriter}); {@link dev.potaccel.data.FashionMnist} (a directory, by
 * default Debian's {@code /usr/share/datasets/fashion-mnist}, or the 1,000 test images bundled in
 * the jar) → {@link dev.potaccel.data.LabelledImages} from one split only, calibration images from
 * the training split, accuracy images from the test split, then lazily → normalised NCHW
 * {@code InputBatch}es with their labels.
 *
 * <p>Everything wrong with a file throws {@link dev.potaccel.data.InputFileException} naming the
 * file (and the byte offset or field at fault): kind IO when it is missing or unreadable, INPUT
 * when its content does not fit (wrong magic number, truncated, trailing bytes, image and label
 * counts that differ).
 */
package dev.potaccel.data;
