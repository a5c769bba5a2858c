/**
 * ONNX import: a {@code .onnx} file (or parsed {@code ModelProto}) → {@link dev.potaccel.graph.Graph}.
 * {@link dev.potaccel.onnx.OnnxImporter} decodes, checks support, orders and shape-infers;
 * {@link dev.potaccel.onnx.TensorDecoder} turns TensorProtos (initializers, {@code .pb} files) into
 * tensors. Bad files raise {@link dev.potaccel.onnx.ModelFormatException} naming file, node and
 * tensor; unsupported content raises {@link dev.potaccel.graph.UnsupportedOperatorException}.
 */
package dev.potaccel.onnx;
