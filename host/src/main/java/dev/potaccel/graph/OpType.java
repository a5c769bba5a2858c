package dev.potaccel.graph;

/** The ONNX operators (default domain) the IR supports. */
public enum OpType {
  CONV("Conv"),
  GEMM("Gemm"),
  MAT_MUL("MatMul"),
  ADD("Add"),
  SUB("Sub"),
  MUL("Mul"),
  DIV("Div"),
  RELU("Relu"),
  LEAKY_RELU("LeakyRelu"),
  CLIP("Clip"),
  SIGMOID("Sigmoid"),
  MAX_POOL("MaxPool"),
  AVERAGE_POOL("AveragePool"),
  GLOBAL_AVERAGE_POOL("GlobalAveragePool"),
  BATCH_NORMALIZATION("BatchNormalization"),
  FLATTEN("Flatten"),
  RESHAPE("Reshape"),
  TRANSPOSE("Transpose"),
  CONCAT("Concat"),
  SOFTMAX("Softmax"),
  IDENTITY("Identity"),
  DROPOUT("Dropout"),
  CONSTANT("Constant"),
  PAD("Pad"),
  SQUEEZE("Squeeze"),
  UNSQUEEZE("Unsqueeze"),
  SHAPE("Shape"),
  GATHER("Gather"),
  CAST("Cast");

  private final String onnxName;

  OpType(String onnxName) {
    this.onnxName = onnxName;
  }

  public String onnxName() {
    return onnxName;
  }

  /** The op for an ONNX op_type in the default domain, or null when unsupported. */
  public static OpType ofOnnx(String opType) {
    for (OpType t : values()) {
      if (t.onnxName.equals(opType)) {
        return t;
      }
    }
    return null;
  }
}
