package dev.potaccel.cli;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.emulator.cost.Energy;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.LayerQuality;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.QuantizedWeights;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.quantize.levels.DoubleQWeights;
import dev.potaccel.quantize.levels.Rounding;
import dev.potaccel.quantize.levels.UniformWeights;
import dev.potaccel.quantize.levels.WeightScheme;
import dev.potaccel.report.ActivationPicture;
import dev.potaccel.report.LayerSection;
import dev.potaccel.report.MemoryCurve;
import dev.potaccel.report.ReportLayers;
import dev.potaccel.report.SchemeEnergy;
import dev.potaccel.report.WeightPicture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code potaccel report} measures: the model calibrated once, quantized and compiled in
 * memory with every scheme (weight SQNR per layer, the cost model's energy), DoubleQExt's layer
 * ranking from the compile flow ({@link QuantizationTuning}) with every point of its curve scored
 * on test images by the emulator, and the per-layer pictures of the report's own scheme.
 */
final class ReportMeasurement {
  /**
   * What to measure.
   *
   * @param scheme the scheme of the per-layer sections
   * @param potLayers for a doubleqext package: the layers it made PoT (its provenance), or null
   *     to take the compile flow's choice
   * @param schemes every scheme compiled for the SQNR bars and the energy chart
   * @param calibration training images
   * @param tuneSet training images DoubleQExt ranks layers on
   * @param test test images the curve is scored on
   */
  record Inputs(LoadedModel model, SchemeSpec scheme, Set<String> potLayers,
      List<SchemeSpec> schemes, LabelledImages calibration, LabelledImages tuneSet,
      LabelledImages test, CompileOptions compileOptions, int threads) {}

  /** What was measured, for the report and the command's summary. */
  record Measured(QuantizedGraph quantized, CompiledPackage compiled, List<LayerSection> layers,
      MemoryCurve curve, List<SchemeEnergy> energy, String energyNote) {}

  private ReportMeasurement() {}

  static Measured measure(Inputs in, PrintWriter err) {
    LoadedModel m = in.model();
    Graph g = m.graph();
    ImagePreprocessing prep = ImagePreprocessing.forModel(m.input().type(), m.metadata(),
        m.name());
    CalibrationStats stats;
    try (ProgressDisplay p = ProgressDisplay.onStderr("calibrate", "images",
        in.calibration().size(), err)) {
      long[] shown = {0};
      stats = Calibrator.collect(g, in.calibration(), prep, in.threads(), (done, total) -> {
        p.advance((int) (done - shown[0]));
        shown[0] = done;
      });
    }
    int layers = ReportLayers.weighted(g);
    boolean curve = in.schemes().stream().anyMatch(s -> s.method().equals("doubleqext"))
        || in.scheme().method().equals("doubleqext");
    long steps = in.schemes().size() + (curve ? 2L * layers + 3 : 0);
    Map<String, QuantizedGraph> quantized = new LinkedHashMap<>();
    Map<String, CompiledPackage> compiled = new LinkedHashMap<>();
    MemoryCurve memoryCurve = null;
    Map<String, WeightScheme> dqxPlan = null;
    try (ProgressDisplay p = ProgressDisplay.onStderr("report", "steps", steps, err)) {
      if (curve) {
        QuantizationTuning search = new QuantizationTuning(g, stats,
            SchemeSpec.parse("doubleqext", null), in.compileOptions(),
            new SplitEvaluator(m, in.tuneSet(), in.threads()),
            new PrintWriter(new StringWriter()));
        QuantizationTuning.DoubleQExtPlan plan = search.doubleQExt(null, null);
        p.advance(layers + 2);
        memoryCurve = testCurve(in, g, stats, plan, p);
        dqxPlan = in.potLayers() != null ? planOf(plan, in.potLayers()) : plan.layers();
      }
      for (SchemeSpec s : in.schemes()) {
        Quantizer.Options o = s.method().equals("doubleqext")
            ? Quantizer.Options.NONE.withLayerSchemes(dqxPlan) : Quantizer.Options.NONE;
        QuantizedGraph q = Quantizer.quantize(g, stats, s, o);
        quantized.put(s.id(), q);
        compiled.put(s.id(), PackageCompiler.compile(q, in.compileOptions()));
        p.advance(1);
      }
    }
    QuantizedGraph own = quantized.get(in.scheme().id());
    List<SchemeEnergy> energy = new ArrayList<>();
    for (Map.Entry<String, CompiledPackage> e : compiled.entrySet()) {
      CompiledPackage c = e.getValue();
      CostReport cost = CostModel.estimate(c.pkg(), AcceleratorDescription.defaultFor(c.pkg()), 1);
      Energy en = cost.energy();
      energy.add(new SchemeEnergy(e.getKey(), en.computePj() * 1e-6, en.sramPj() * 1e-6,
          en.dramPj() * 1e-6, c.idealWeightBytes()));
    }
    String energyNote = "Cost model (docs/accelerator.md §8): batch 1, the default accelerator"
        + " with the simplest PE type that runs each package, accelerator work only; energy per"
        + " operation " + CostModel.estimate(compiled.get(in.scheme().id()).pkg(),
            AcceleratorDescription.defaultFor(compiled.get(in.scheme().id()).pkg()), 1)
            .energyTable().describe() + ".";
    return new Measured(own, compiled.get(in.scheme().id()), sections(own, stats, quantized),
        memoryCurve, energy, energyNote);
  }

  /** The plan with exactly {@code pot} made PoT, every other layer of {@code plan} int8. */
  private static Map<String, WeightScheme> planOf(QuantizationTuning.DoubleQExtPlan plan,
      Set<String> pot) {
    Map<String, WeightScheme> out = new LinkedHashMap<>();
    WeightScheme int8 = UniformWeights.int8Baseline();
    WeightScheme dq = new DoubleQWeights(Rounding.LINEAR);
    plan.layers().keySet().forEach(n -> out.put(n, pot.contains(n) ? dq : int8));
    return out;
  }

  /** Every point of the compile flow's curve, compiled again and scored on the test images. */
  private static MemoryCurve testCurve(Inputs in, Graph g, CalibrationStats stats,
      QuantizationTuning.DoubleQExtPlan plan, ProgressDisplay p) {
    SplitEvaluator test = new SplitEvaluator(in.model(), in.test(), in.threads());
    SchemeSpec dqx = SchemeSpec.parse("doubleqext", null);
    WeightScheme int8 = UniformWeights.int8Baseline();
    WeightScheme dq = new DoubleQWeights(Rounding.LINEAR);
    Map<String, WeightScheme> layers = new LinkedHashMap<>();
    plan.layers().keySet().forEach(n -> layers.put(n, int8));
    List<MemoryCurve.Point> points = new ArrayList<>();
    for (QuantizationTuning.CurvePoint c : plan.curve()) {
      if (c.converted() > 0) {
        layers.put(c.layer(), dq);
      }
      QuantizedGraph q = Quantizer.quantize(g, stats, dqx,
          Quantizer.Options.NONE.withLayerSchemes(layers));
      CompiledPackage pkg = PackageCompiler.compile(q, in.compileOptions());
      Accuracy a = test.score(pkg.pkg());
      points.add(new MemoryCurve.Point(c.converted(), c.layer(), pkg.idealWeightBytes(),
          c.memorySaving(), c.score().top1(), a.top1()));
      p.advance(1);
    }
    return new MemoryCurve(points, plan.chosen(), plan.rule(), describe(in.tuneSet()),
        describe(in.test()));
  }

  /** "500 training images (seed 1) from train-images-idx3-ubyte.gz". */
  static String describe(LabelledImages images) {
    return String.format(Locale.ROOT, "%d %s images from %s%s", images.size(),
        images.split().id(), images.source(), images.size() > 0
            ? " (indices " + images.indexInSplit(0) + (images.size() > 1 ? ".."
                + images.indexInSplit(images.size() - 1) : "") + " of the split)" : "");
  }

  /** One section per weighted layer of the report's scheme, in graph order. */
  private static List<LayerSection> sections(QuantizedGraph q, CalibrationStats stats,
      Map<String, QuantizedGraph> all) {
    List<LayerSection> out = new ArrayList<>();
    Graph g = q.graph();
    for (Node n : g.nodes()) {
      QuantizedWeights w = q.weightsOf(n.name());
      LayerQuality quality = q.layers().get(n.name());
      if (w == null || quality == null) {
        continue;
      }
      WeightPicture wp = WeightPicture.of(ReportLayers.fp32Weights(g, n), w);
      String value = ReportLayers.producedActivation(g, n);
      ActivationFormat f = q.activation(value);
      float[] sample = stats.sample(value);
      ActivationPicture ap = f != null && sample.length > 0
          ? ActivationPicture.of(value, sample, f) : null;
      List<LayerSection.SchemeSqnr> sqnr = new ArrayList<>();
      all.forEach((id, other) -> {
        LayerQuality l = other.layers().get(n.name());
        if (l != null) {
          sqnr.add(new LayerSection.SchemeSqnr(id, l.sqnrDb()));
        }
      });
      out.add(new LayerSection(n.name(), n.op() == OpType.CONV ? "Conv" : "Gemm",
          ReportLayers.shape(w), quality.scheme(), quality.description(), wp, ap, sqnr));
    }
    return out;
  }
}
