package dev.potaccel.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.potaccel.partition.Crossing.Direction;
import dev.potaccel.partition.Segment.Device;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * A compiled package cut into segments: maximal runs of accelerator commands and of host commands,
 * in command order, with the values that cross the host link between them. Computed from the
 * package alone, so it describes a {@code .potpkg} as well as a package compiled in memory.
 *
 * @param model the package's model name
 * @param segments in command order
 * @param crossings every CONVERT of the package, in command order
 */
public record PartitionPlan(String model, List<Segment> segments, List<Crossing> crossings) {

  public PartitionPlan {
    segments = List.copyOf(segments);
    crossings = List.copyOf(crossings);
  }

  /**
   * Segments {@code pkg}: CONV, POOL, ADD and RESHAPE views of codes are accelerator commands;
   * HOST commands and RESHAPE views of FP32 values host commands. Each CONVERT joins the
   * accelerator segment it feeds (a quantize) or drains (a dequantize).
   *
   * @throws PackageFormatException if the host graph is not a valid ONNX model
   */
  public static PartitionPlan of(AcceleratorPackage pkg) {
    String model = pkg.getProvenance().getModelName().isEmpty() ? "(unnamed)"
        : pkg.getProvenance().getModelName();
    List<String> hostOps = hostOps(pkg, model);
    List<Crossing> crossings = new ArrayList<>();
    // segments as lists of non-CONVERT commands first; CONVERTs are placed afterwards
    List<Device> devices = new ArrayList<>();
    List<TreeMap<Integer, String>> members = new ArrayList<>();
    int[] segmentOf = new int[pkg.getCommandsCount()];
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      Command c = pkg.getCommands(i);
      segmentOf[i] = -1;
      if (c.hasConvert()) {
        crossings.add(crossing(pkg, i, c));
        continue;
      }
      Device d = deviceOf(pkg, c);
      if (devices.isEmpty() || devices.get(devices.size() - 1) != d) {
        devices.add(d);
        members.add(new TreeMap<>());
      }
      members.get(members.size() - 1).put(i, op(pkg, c, hostOps));
      segmentOf[i] = members.size() - 1;
    }
    for (Crossing x : crossings) {
      int s = x.direction() == Direction.TO_ACCELERATOR
          ? firstReader(pkg, segmentOf, x.command(), x.codeBuffer())
          : lastWriter(pkg, segmentOf, x.command(), x.codeBuffer());
      if (s < 0) {
        // codes nobody on the accelerator reads or writes (a model input dequantized straight
        // back): a segment of its own, on the accelerator side of the link
        devices.add(Device.ACCELERATOR);
        members.add(new TreeMap<>());
        s = members.size() - 1;
      }
      members.get(s).put(x.command(), x.direction() == Direction.TO_ACCELERATOR ? "quantize"
          : "dequantize");
      segmentOf[x.command()] = s;
    }
    List<Segment> segments = new ArrayList<>();
    for (int s = 0; s < members.size(); s++) {
      List<Crossing> in = new ArrayList<>();
      List<Crossing> out = new ArrayList<>();
      Set<String> reasons = new LinkedHashSet<>();
      for (int i : members.get(s).keySet()) {
        Command c = pkg.getCommands(i);
        if (c.hasHost() && !c.getHost().getReason().isEmpty()) {
          reasons.add(c.getHost().getReason());
        }
      }
      for (Crossing x : crossings) {
        if (devices.get(s) == Device.ACCELERATOR) {
          if (segmentOf[x.command()] == s) {
            (x.direction() == Direction.TO_ACCELERATOR ? in : out).add(x);
          }
        } else if (x.direction() == Direction.TO_HOST
            && readsFloat(pkg, members.get(s).keySet(), x.floatBuffer())) {
          in.add(x);
        } else if (x.direction() == Direction.TO_ACCELERATOR
            && writesFloat(pkg, members.get(s).keySet(), x.floatBuffer())) {
          out.add(x);
        }
      }
      segments.add(new Segment(s, devices.get(s), List.copyOf(members.get(s).keySet()),
          List.copyOf(members.get(s).values()), in, out, String.join("; ", reasons)));
    }
    return new PartitionPlan(model, segments, crossings);
  }

  public List<Segment> accelerator() {
    return segments.stream().filter(s -> s.device() == Device.ACCELERATOR).toList();
  }

  public List<Segment> host() {
    return segments.stream().filter(s -> s.device() == Device.HOST).toList();
  }

  /**
   * How many times a run leaves the accelerator for the host and comes back: the host segments
   * with an accelerator segment before and after them.
   */
  public int hostRoundTrips() {
    int trips = 0;
    for (int s = 1; s + 1 < segments.size(); s++) {
      if (segments.get(s).device() == Device.HOST
          && segments.get(s - 1).device() == Device.ACCELERATOR
          && segments.get(s + 1).device() == Device.ACCELERATOR) {
        trips++;
      }
    }
    return trips;
  }

  /** The segment holding command {@code command}. */
  public Segment segmentOf(int command) {
    return segments.stream().filter(s -> s.commands().contains(command)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no command " + command + " in the plan"
            + " of '" + model + "'"));
  }

  // ---- classification ----

  private static Device deviceOf(AcceleratorPackage pkg, Command c) {
    return switch (c.getOpCase()) {
      case CONV, POOL, ADD -> Device.ACCELERATOR;
      case RESHAPE -> buffer(pkg, c.getReshape().getInput()).getIsFloat() ? Device.HOST
          : Device.ACCELERATOR;
      case HOST -> Device.HOST;
      default -> throw new PackageFormatException(
          "command " + c.getName() + " has no operation (" + c.getOpCase() + ")");
    };
  }

  private static String op(AcceleratorPackage pkg, Command c, List<String> hostOps) {
    return switch (c.getOpCase()) {
      case CONV -> {
        ConvCommand conv = c.getConv();
        boolean fc = buffer(pkg, conv.getInput()).getShapeCount() == 1;
        String act = switch (conv.getRequantize().getActivation()) {
          case RELU -> "+relu";
          case RELU6 -> "+relu6";
          case LEAKY_RELU -> "+leakyrelu";
          default -> "";
        };
        yield (fc ? "FC" : "Conv") + act;
      }
      case POOL -> switch (c.getPool().getKind()) {
        case MAX -> "MaxPool";
        case GLOBAL_AVERAGE -> "GlobalAveragePool";
        default -> "AveragePool";
      };
      case ADD -> "Add";
      case RESHAPE -> "view";
      case HOST -> {
        List<String> types = new ArrayList<>();
        for (int n : c.getHost().getNodesList()) {
          types.add(n >= 0 && n < hostOps.size() ? hostOps.get(n) : "node " + n);
        }
        yield String.join(" ", types);
      }
      default -> c.getOpCase().name().toLowerCase(Locale.ROOT);
    };
  }

  /** The op type of every host graph node, by index; empty without HOST commands. */
  private static List<String> hostOps(AcceleratorPackage pkg, String model) {
    if (pkg.getCommandsList().stream().noneMatch(Command::hasHost)) {
      return List.of();
    }
    try {
      ModelProto m = ModelProto.parseFrom(pkg.getHostGraph().getOnnxModel());
      return m.getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
    } catch (InvalidProtocolBufferException e) {
      throw new PackageFormatException("package '" + model + "' host_graph: not a valid ONNX"
          + " model: " + e.getMessage(), e);
    }
  }

  private static Crossing crossing(AcceleratorPackage pkg, int index, Command c) {
    int in = c.getConvert().getInput();
    int out = c.getConvert().getOutput();
    Buffer from = buffer(pkg, in);
    boolean quantize = from.getIsFloat();
    int codes = quantize ? out : in;
    int floats = quantize ? in : out;
    long values = 1;
    for (int d : buffer(pkg, codes).getShapeList()) {
      values *= Integer.toUnsignedLong(d);
    }
    return new Crossing(index, from.getName(), codes, floats, values,
        quantize ? Direction.TO_ACCELERATOR : Direction.TO_HOST);
  }

  /** The segment of the first command after {@code after} that reads code buffer {@code b}. */
  private static int firstReader(AcceleratorPackage pkg, int[] segmentOf, int after, int b) {
    for (int i = after + 1; i < pkg.getCommandsCount(); i++) {
      if (segmentOf[i] >= 0 && reads(pkg.getCommands(i)).contains(b)) {
        return segmentOf[i];
      }
    }
    return -1;
  }

  /** The segment of the last command before {@code before} that writes code buffer {@code b}. */
  private static int lastWriter(AcceleratorPackage pkg, int[] segmentOf, int before, int b) {
    for (int i = before - 1; i >= 0; i--) {
      if (segmentOf[i] >= 0 && writes(pkg.getCommands(i)).contains(b)) {
        return segmentOf[i];
      }
    }
    return -1;
  }

  private static boolean readsFloat(AcceleratorPackage pkg, Set<Integer> commands, int b) {
    return commands.stream().anyMatch(i -> reads(pkg.getCommands(i)).contains(b));
  }

  private static boolean writesFloat(AcceleratorPackage pkg, Set<Integer> commands, int b) {
    return commands.stream().anyMatch(i -> writes(pkg.getCommands(i)).contains(b));
  }

  static List<Integer> reads(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> List.of(c.getConv().getInput());
      case POOL -> List.of(c.getPool().getInput());
      case ADD -> List.of(c.getAdd().getInputA(), c.getAdd().getInputB());
      case RESHAPE -> List.of(c.getReshape().getInput());
      case CONVERT -> List.of(c.getConvert().getInput());
      case HOST -> c.getHost().getInputsList();
      default -> List.of();
    };
  }

  static List<Integer> writes(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> List.of(c.getConv().getOutput());
      case POOL -> List.of(c.getPool().getOutput());
      case ADD -> List.of(c.getAdd().getOutput());
      case RESHAPE -> List.of(c.getReshape().getOutput());
      case CONVERT -> List.of(c.getConvert().getOutput());
      case HOST -> c.getHost().getOutputsList();
      default -> List.of();
    };
  }

  private static Buffer buffer(AcceleratorPackage pkg, int index) {
    if (index < 0 || index >= pkg.getBuffersCount()) {
      throw new PackageFormatException("buffer " + Integer.toUnsignedString(index)
          + " does not exist (the package has " + pkg.getBuffersCount() + ")");
    }
    return pkg.getBuffers(index);
  }
}
