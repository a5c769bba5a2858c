package dev.potaccel.cpu;

import static dev.potaccel.cpu.TestGraphs.assertTensor;
import static dev.potaccel.cpu.TestGraphs.floats;
import static dev.potaccel.cpu.TestGraphs.graph;
import static dev.potaccel.cpu.TestGraphs.input;
import static dev.potaccel.cpu.TestGraphs.intAttr;
import static dev.potaccel.cpu.TestGraphs.node;
import static dev.potaccel.cpu.TestGraphs.ramp;
import static dev.potaccel.cpu.TestGraphs.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.crosscheck.LaneLayoutCrossCheckTest;
import dev.potaccel.error.ErrorKind;
import dev.potaccel.graph.Attribute;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.UnsupportedOperatorException;
import dev.potaccel.onnx.OnnxImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine itself: plan, input validation, release of intermediates, errors, lifecycle. */
class CpuEngineTest {

  private static final int UNKNOWN = TensorType.UNKNOWN;

  /** x -> Relu -> Add(x, x) style graph on a declared [?,1,2,2] input. */
  private static Graph reluGraph() {
    return graph(List.of(input("x", DataType.FLOAT, UNKNOWN, 1, 2, 2)), Map.of(),
        List.of(node("relu", OpType.RELU, 13, List.of("x"), List.of("y"))), "y");
  }

  @Test
  void runsAndReturnsOutputsInGraphOrder() {
    // r = relu(x); s = r + r (same value twice in one node); p = r * s (r read again later);
    // outputs in the order p, r: r is both an output and an intermediate
    Graph g = graph(List.of(input("x", DataType.FLOAT, 4)), Map.of(),
        List.of(node("relu", OpType.RELU, 13, List.of("x"), List.of("r")),
            node("twice", OpType.ADD, 13, List.of("r", "r"), List.of("s")),
            node("unused", OpType.SIGMOID, 13, List.of("s"), List.of("dead")),
            node("product", OpType.MUL, 13, List.of("r", "s"), List.of("p"))),
        "p", "r");
    try (CpuEngine engine = new CpuEngine(g, 2)) {
      for (int repeat = 0; repeat < 2; repeat++) {
        Map<String, Tensor> out = engine.run(Map.of("x", floats(shape(4), -1, 0, 2, 3)));
        assertEquals(List.of("p", "r"), List.copyOf(out.keySet()));
        assertTensor(shape(4), new float[] {0, 0, 8, 18}, out.get("p"));
        assertTensor(shape(4), new float[] {0, 0, 2, 3}, out.get("r"));
      }
      // x after its only reader; s after its last reader; the unread "dead" right away;
      // r never (it is a graph output)
      assertEquals(List.of("x"), engine.releasedAfter("relu"));
      assertEquals(List.of(), engine.releasedAfter("twice"));
      assertEquals(List.of("dead"), engine.releasedAfter("unused"));
      assertEquals(List.of("s"), engine.releasedAfter("product"));
    }
  }

  /**
   * Conv -> Relu and Add -> Relu pairs are fused when the Relu is the only reader; a Conv whose
   * output is also read elsewhere must keep its unrectified values there, and an Add that is a
   * graph output must stay unfused. Values worked by hand.
   */
  @Test
  void fusesConvAndAddWithReluOnlyWhenReluIsTheOnlyReader() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, 1, 1, 2, 2)),
        Map.of("w", floats(shape(1, 1, 1, 1), -1), "w2", floats(shape(1, 1, 1, 1), 2)),
        List.of(node("c1", OpType.CONV, 13, List.of("x", "w"), List.of("c1")),
            node("r1", OpType.RELU, 13, List.of("c1"), List.of("r1")),
            node("c2", OpType.CONV, 13, List.of("x", "w2"), List.of("c2")),
            node("r2", OpType.RELU, 13, List.of("c2"), List.of("r2")),
            node("z", OpType.ADD, 13, List.of("r2", "c2"), List.of("z")),
            node("a", OpType.ADD, 13, List.of("x", "x"), List.of("a")),
            node("ra", OpType.RELU, 13, List.of("a"), List.of("ra")),
            node("b", OpType.ADD, 13, List.of("x", "x"), List.of("b")),
            node("rb", OpType.RELU, 13, List.of("b"), List.of("rb"))),
        "r1", "z", "ra", "rb", "b");
    try (CpuEngine engine = new CpuEngine(g, 2)) {
      Map<String, Tensor> out = engine.run(Map.of("x", floats(shape(1, 1, 2, 2), 1, -2, 3, -4)));
      int[] s = shape(1, 1, 2, 2);
      assertTensor(s, new float[] {0, 2, 0, 4}, out.get("r1"));
      assertTensor(s, new float[] {4, -4, 12, -8}, out.get("z"));
      assertTensor(s, new float[] {2, 0, 6, 0}, out.get("ra"));
      assertTensor(s, new float[] {2, 0, 6, 0}, out.get("rb"));
      assertTensor(s, new float[] {2, -4, 6, -8}, out.get("b"));
    }
    // an integer Add before a Relu: refused by the Relu node, fused or not
    Graph ints = graph(List.of(input("x", DataType.INT64, 3)), Map.of(),
        List.of(node("a", OpType.ADD, 14, List.of("x", "x"), List.of("a")),
            node("r", OpType.RELU, 14, List.of("a"), List.of("r"))),
        "r");
    try (CpuEngine engine = new CpuEngine(ints, 1)) {
      UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
          () -> engine.run(Map.of("x", TestGraphs.longs(DataType.INT64, shape(3), -1, 2, -3))));
      assertTrue(e.getMessage().contains("node 'r' (Relu)") && e.getMessage().contains("INT64"),
          e.getMessage());
    }
  }

  /**
   * The lane plan of {@link LaneLayoutCrossCheckTest#model}: values all of whose readers take
   * lane tensors (Conv data inputs, Add, Relu, MaxPool, GlobalAveragePool, fused Relus passing
   * them on); never a graph output (r1, pool) nor what feeds one through a pass-through (a1).
   * ONNX Runtime checks the numbers in that test.
   */
  @Test
  void lanePlanCoversConvChainsUpToTheirNchwReaders() throws IOException {
    Path file = Files.createTempFile("lanes", ".onnx");
    try {
      Graph g = OnnxImporter.read(LaneLayoutCrossCheckTest.model().write(file));
      try (CpuEngine engine = new CpuEngine(g, 1)) {
        assertEquals(List.of("a3", "a5", "c0", "c1", "c2", "c3", "c4", "r0", "r2", "r3", "r4",
            "s"),
            engine.laneValues().stream().sorted().toList());
      }
    } finally {
      Files.delete(file);
    }
  }

  /**
   * In the depthwise network, Clips with constant bounds (initializers or Constant nodes) are
   * absorbable by the Conv before them, as are the Adds a3 and a4 (the plan does not know which
   * Convs are depthwise; at run time those keep their Adds, which the cross-check covers), and
   * lane tensors reach up to the NCHW readers: the graph output k1 and the Clip k5 are not lane
   * values (d3, a3, g, m2 and m3 are planned as lane values but fall back to NCHW when they
   * run).
   */
  @Test
  void depthwisePlanAbsorbsConstantClipsAndKeepsLanes() throws IOException {
    Path file = Files.createTempFile("depthwise", ".onnx");
    try {
      Graph g = OnnxImporter.read(LaneLayoutCrossCheckTest.depthwiseModel().write(file));
      try (CpuEngine engine = new CpuEngine(g, 1)) {
        assertEquals(List.of("k0", "k1", "k2", "a3", "a4"), engine.absorbableNodes());
        assertEquals(List.of("a3", "a4", "c0", "d1", "d2", "d3", "d4", "g", "k0", "k2", "k4", "m1",
            "m2", "m3", "m4", "p1", "q2", "q3", "q4", "r2"),
            engine.laneValues().stream().sorted().toList());
      }
    } finally {
      Files.delete(file);
    }
  }

  /**
   * Output arrays are recycled between nodes and runs (RunBuffers): what a run returned must
   * never be overwritten by a later run, nor an input by the run it is given to.
   */
  @Test
  void recycledBuffersNeverOverwriteReturnedOutputsOrInputs() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, 4)), Map.of(),
        List.of(node("r", OpType.RELU, 13, List.of("x"), List.of("r")),
            node("s", OpType.ADD, 13, List.of("r", "r"), List.of("s")),
            node("t", OpType.RELU, 13, List.of("s"), List.of("t")),
            node("u", OpType.ADD, 13, List.of("t", "x"), List.of("u"))),
        "u");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      Tensor x1 = floats(shape(4), -1, 2, -3, 4);
      Tensor first = engine.run(Map.of("x", x1)).get("u");
      assertTensor(shape(4), new float[] {-1, 6, -3, 12}, first);
      for (int i = 0; i < 3; i++) {
        Tensor x2 = floats(shape(4), 5, -6, 7, -8);
        assertTensor(shape(4), new float[] {15, -6, 21, -8}, engine.run(Map.of("x", x2)).get("u"));
        assertTensor(shape(4), new float[] {5, -6, 7, -8}, x2);
      }
      assertTensor(shape(4), new float[] {-1, 6, -3, 12}, first);
      assertTensor(shape(4), new float[] {-1, 2, -3, 4}, x1);
    }
  }

  @Test
  void initializersAndGraphInputsAsOutputs() {
    Tensor w = floats(shape(2), 10, 20);
    Graph g = graph(List.of(input("x", DataType.FLOAT, 2)), Map.of("w", w),
        List.of(node("add", OpType.ADD, 13, List.of("x", "w"), List.of("y"))), "y", "x", "w");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      Tensor x = floats(shape(2), 1, 2);
      Map<String, Tensor> out = engine.run(Map.of("x", x));
      assertTensor(shape(2), new float[] {11, 22}, out.get("y"));
      assertSame(x, out.get("x"));
      assertSame(w, out.get("w"));
    }
  }

  @Test
  void inputWithInitializerIsOptional() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, 2), input("bias", DataType.FLOAT, 2)),
        Map.of("bias", floats(shape(2), 1, 1)),
        List.of(node("add", OpType.ADD, 13, List.of("x", "bias"), List.of("y"))), "y");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      assertTensor(shape(2), new float[] {2, 3},
          engine.run(Map.of("x", floats(shape(2), 1, 2))).get("y"));
      assertTensor(shape(2), new float[] {6, 7}, engine.run(Map.of("x", floats(shape(2), 1, 2),
          "bias", floats(shape(2), 5, 5))).get("y"));
    }
  }

  /**
   * PyTorch's dynamic-batch flatten: Shape -> Gather(0) -> Unsqueeze -> Concat(.., [-1]) ->
   * Reshape. The shape operand is only known at run time, so each batch size must resolve anew.
   */
  @Test
  void dynamicBatchFlattenChain() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, UNKNOWN, 2, 3)),
        Map.of("zero", Tensor.ofLongs(DataType.INT64, new int[0], new long[] {0}),
            "axes", Tensor.ofInt64(0), "minusOne", Tensor.ofInt64(-1)),
        List.of(node("shape", OpType.SHAPE, 13, List.of("x"), List.of("s")),
            node("batch", OpType.GATHER, 13, List.of("s", "zero"), List.of("n"),
                intAttr("axis", 0)),
            node("unsq", OpType.UNSQUEEZE, 13, List.of("n", "axes"), List.of("n1")),
            node("cat", OpType.CONCAT, 13, List.of("n1", "minusOne"), List.of("target"),
                intAttr("axis", 0)),
            node("reshape", OpType.RESHAPE, 13, List.of("x", "target"), List.of("y"))),
        "y", "target");
    try (CpuEngine engine = new CpuEngine(g, 2)) {
      for (int batch : new int[] {1, 5}) {
        float[] data = ramp(batch * 6, 0);
        Map<String, Tensor> out = engine.run(Map.of("x", floats(shape(batch, 2, 3), data)));
        assertTensor(shape(batch, 6), data, out.get("y"));
        TestGraphs.assertTensor(DataType.INT64, shape(2), new long[] {batch, -1},
            out.get("target"));
      }
    }
  }

  @Test
  void rejectsMissingInput() {
    try (CpuEngine engine = new CpuEngine(reluGraph(), 1)) {
      InputMismatchException e = assertThrows(InputMismatchException.class,
          () -> engine.run(Map.of()));
      assertEquals("missing input 'x' (FLOAT[?,1,2,2])", e.getMessage());
      assertEquals(ErrorKind.INPUT, e.kind());
    }
  }

  @Test
  void rejectsUnknownInputListingTheExpectedNames() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, 2), input("z", DataType.FLOAT, 2)),
        Map.of(), List.of(node("add", OpType.ADD, 13, List.of("x", "z"), List.of("y"))), "y");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      InputMismatchException e = assertThrows(InputMismatchException.class,
          () -> engine.run(Map.of("x", floats(shape(2), 1, 2), "zz", floats(shape(2), 1, 2))));
      assertEquals("unknown input 'zz'; the model's inputs are 'x', 'z'", e.getMessage());
    }
  }

  @Test
  void rejectsWrongElementType() {
    try (CpuEngine engine = new CpuEngine(reluGraph(), 1)) {
      InputMismatchException e = assertThrows(InputMismatchException.class, () -> engine.run(
          Map.of("x", Tensor.ofLongs(DataType.INT64, shape(1, 1, 2, 2), new long[4]))));
      assertEquals("input 'x': element type INT64, model wants FLOAT", e.getMessage());
    }
  }

  @Test
  void rejectsWrongShapeButAcceptsAnyBatch() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, UNKNOWN, 1, 28, 28)), Map.of(),
        List.of(node("relu", OpType.RELU, 13, List.of("x"), List.of("y"))), "y");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      InputMismatchException e = assertThrows(InputMismatchException.class,
          () -> engine.run(Map.of("x", Tensor.zeros(DataType.FLOAT, shape(1, 3, 28, 28)))));
      assertEquals("input 'x': shape [1,3,28,28], model wants [?,1,28,28]", e.getMessage());
      InputMismatchException rank = assertThrows(InputMismatchException.class,
          () -> engine.run(Map.of("x", Tensor.zeros(DataType.FLOAT, shape(28, 28)))));
      assertEquals("input 'x': shape [28,28], model wants [?,1,28,28]", rank.getMessage());
      assertEquals(7, engine.run(Map.of("x", Tensor.zeros(DataType.FLOAT, shape(7, 1, 28, 28))))
          .get("y").dim(0));
    }
  }

  @Test
  void runtimeShapeMismatchNamesTheNode() {
    Graph g = graph(List.of(input("a", DataType.FLOAT, UNKNOWN), input("b", DataType.FLOAT,
        UNKNOWN)), Map.of(),
        List.of(node("sum_3", OpType.ADD, 13, List.of("a", "b"), List.of("y"))), "y");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      GraphException e = assertThrows(GraphException.class, () -> engine.run(
          Map.of("a", floats(shape(2), 1, 2), "b", floats(shape(3), 1, 2, 3))));
      assertTrue(e.getMessage().startsWith("graph 'test': node 'sum_3' (Add): shapes [2] and [3]"),
          e.getMessage());
      assertEquals(1, count(e.getMessage(), "node 'sum_3'"), e.getMessage());
      assertInstanceOf(GraphException.class, e.getCause());
    }
  }

  @Test
  void integerDivisionByZeroNamesTheNode() {
    Graph g = graph(List.of(input("a", DataType.INT64, 2), input("b", DataType.INT64, 2)),
        Map.of(), List.of(node("div_1", OpType.DIV, 13, List.of("a", "b"), List.of("y"))), "y");
    try (CpuEngine engine = new CpuEngine(g, 1)) {
      GraphException e = assertThrows(GraphException.class, () -> engine.run(
          Map.of("a", Tensor.ofInt64(1, 2), "b", Tensor.ofInt64(1, 0))));
      assertTrue(e.getMessage().startsWith("graph 'test': node 'div_1' (Div): "), e.getMessage());
      assertInstanceOf(ArithmeticException.class, e.getCause());
    }
  }

  @Test
  void rejectsUndefinedValuesAtConstruction() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, 2)), Map.of(),
        List.of(node("add", OpType.ADD, 13, List.of("x", "nowhere"), List.of("y"))), "y");
    GraphException e = assertThrows(GraphException.class, () -> new CpuEngine(g, 1));
    assertEquals("graph 'test': node 'add' (Add) reads 'nowhere', which no input, initializer or"
        + " earlier node defines", e.getMessage());
  }

  @Test
  void rejectsValuesDefinedTwice() {
    Graph g = graph(List.of(input("x", DataType.FLOAT, 2)), Map.of(),
        List.of(node("a", OpType.RELU, 13, List.of("x"), List.of("y")),
            node("b", OpType.RELU, 13, List.of("x"), List.of("y"))), "y");
    GraphException e = assertThrows(GraphException.class, () -> new CpuEngine(g, 1));
    assertEquals("graph 'test': node 'b' (Relu) writes 'y', which is already defined (values are"
        + " assigned once)", e.getMessage());
  }

  @Test
  void closeIsIdempotentAndRunAfterCloseFails() {
    CpuEngine engine = new CpuEngine(reluGraph(), 0);
    engine.run(Map.of("x", Tensor.zeros(DataType.FLOAT, shape(1, 1, 2, 2))));
    engine.close();
    engine.close();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> engine.run(Map.of("x", Tensor.zeros(DataType.FLOAT, shape(1, 1, 2, 2)))));
    assertEquals("CpuEngine for graph 'test' is closed", e.getMessage());
  }

  @Test
  void parallelKernelsMatchSingleThreaded() {
    // large enough that element-wise ops and softmax split across workers
    int n = 3 * 70_000;
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (float) Math.sin(i * 0.01) * 5;
    }
    List<Node> nodes = List.of(node("sig", OpType.SIGMOID, 13, List.of("x"), List.of("s")),
        node("mul", OpType.MUL, 13, List.of("s", "x"), List.of("m")),
        node("softmax", OpType.SOFTMAX, 13, List.of("m"), List.of("y"),
            Attribute.ofInt("axis", 1)));
    Graph g = graph(List.of(input("x", DataType.FLOAT, 3, 70_000)), Map.of(), nodes, "y");
    Map<String, Tensor> feed = Map.of("x", floats(shape(3, 70_000), data));
    try (CpuEngine one = new CpuEngine(g, 1); CpuEngine four = new CpuEngine(g, 4)) {
      assertTensor(shape(3, 70_000), one.run(feed).get("y").floats(), four.run(feed).get("y"));
    }
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
