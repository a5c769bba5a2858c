package dev.potaccel.calibrate;

/**
 * Told how far a long step has got. Called from the thread that runs the step; the default
 * {@link #NONE} ignores it.
 */
@FunctionalInterface
public interface ProgressListener {
  /** Ignores progress. */
  ProgressListener NONE = (done, total) -> {};

  /**
   * @param done items finished so far (images, layers)
   * @param total items the step will process
   */
  void progress(long done, long total);
}
