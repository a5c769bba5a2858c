/**
 * Calibration: a {@link dev.potaccel.graph.Graph} and FP32 input batches of training images →
 * {@link dev.potaccel.calibrate.CalibrationStats}, the range of every FP32 value the network
 * computes (largest magnitude, and whether it was ever negative) and a bounded uniform sample of
 * its elements (for distribution fits), measured by running the CPU reference engine. {@link
 * dev.potaccel.calibrate.Calibrator} refuses test-split images (the test
 * set is for accuracy only); a graph the engine cannot run raises the engine's
 * {@link dev.potaccel.graph.GraphException}. Long runs report to a
 * {@link dev.potaccel.calibrate.ProgressListener}.
 */
package dev.potaccel.calibrate;
