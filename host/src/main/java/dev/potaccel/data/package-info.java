/**
 * Input and output files for running a model: file or directory path → {@link
 * dev.potaccel.data.InputBatch} (a float32 {@link dev.potaccel.graph.Tensor}, batch first, checked
 * against the model's declared input) from NumPy {@code .npy}, ONNX TensorProto {@code .pb} and
 * pictures (PNG/JPEG, converted, resized and normalised as the model's sidecar
 * {@link dev.potaccel.data.ModelMetadata} says); tensor → {@code .npy} through
 * {@link dev.potaccel.data.NpyWriter}. Everything wrong with a file throws
 * {@link dev.potaccel.data.InputFileException} naming the file (and the byte offset or field at
 * fault): kind IO when it is missing or unreadable, INPUT when its content does not fit.
 */
package dev.potaccel.data;
