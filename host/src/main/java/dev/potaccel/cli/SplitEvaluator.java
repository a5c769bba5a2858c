package dev.potaccel.cli;

import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.InputFiles;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Scores compiled packages on one labelled set through the bit-exact emulator. The set's input
 * tensors are made once, because tuning (BFT, DoubleQExt's ranking and curve) scores dozens of
 * packages on the same images.
 */
final class SplitEvaluator {
  /** Images per emulator run. */
  static final int BATCH = 256;

  private final List<Tensor> inputs = new ArrayList<>();
  private final List<List<Integer>> labels = new ArrayList<>();
  private final String name;
  private final int threads;
  private final int images;

  SplitEvaluator(LoadedModel m, LabelledImages set, int threads) {
    ImagePreprocessing prep = ImagePreprocessing.forModel(m.input().type(), m.metadata(),
        m.name());
    int batch = m.input().type().hasRank() && m.input().type().dim(0) > 0
        ? m.input().type().dim(0) : BATCH;
    for (Iterator<InputBatch> it = set.batches(batch, prep); it.hasNext(); ) {
      InputBatch b = it.next();
      inputs.add(InputFiles.fit(b.tensor(), b.source(), m.input(), m.name()));
      labels.add(b.labels());
    }
    this.name = m.name() + " output '" + m.output().name() + "'";
    this.threads = threads;
    this.images = set.size();
  }

  /** Images in the set. */
  int images() {
    return images;
  }

  /** Top-1/top-5 of {@code pkg} on the set. */
  Accuracy score(AcceleratorPackage pkg) {
    return score(pkg, ProgressDisplay.none());
  }

  /** As {@link #score(AcceleratorPackage)}, advancing {@code progress} per image. */
  Accuracy score(AcceleratorPackage pkg, ProgressDisplay progress) {
    AccuracyTally tally = new AccuracyTally(10, name);
    try (EmulatorSession s = EmulatorSession.open(pkg, threads)) {
      for (int i = 0; i < inputs.size(); i++) {
        tally.add(s.run(inputs.get(i)), labels.get(i));
        progress.advance(labels.get(i).size());
      }
    }
    return tally.result();
  }
}
