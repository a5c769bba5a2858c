/**
 * Several devices as one: {@link dev.potaccel.device.pool.DevicePool} takes a compiled {@code
 * AcceleratorPackage} and N {@link dev.potaccel.device.pool.InferenceDevice}s that have it loaded
 * (any mix of {@link dev.potaccel.device.pool.EmulatorInferenceDevice} and {@link
 * dev.potaccel.device.pool.OpenClInferenceDevice}) and turns a stream of FP32 batches into
 * futures of FP32 outputs, answered in submission order by {@code runAll}. Data parallel: whole
 * batches go to free devices. Pipeline: the command list is cut into contiguous stages balanced by
 * the cost model's cycles per command ({@link dev.potaccel.device.pool.StagePlan}), one device
 * each, batches streaming from stage to stage. It owns failover: a device that throws, times out
 * or returns outputs of the wrong size is taken out, its batch retried on another device, the
 * event logged and reported ({@link dev.potaccel.device.pool.PoolEvent}); a removed device comes
 * back after a health probe. It throws {@link
 * dev.potaccel.device.pool.DeviceUnavailableException} when no device is left (or a batch failed
 * on every device it was tried on), and {@code IllegalArgumentException} for a batch that does not
 * fit the package (never retried: the caller's mistake, not a device's).
 *
 * <p><b>Why stages run command ranges of one package rather than stage packages.</b> Each stage
 * device loads the whole package and runs {@code [from, to)} of it through {@code
 * Emulator.runCommands}, handed the buffers live at the cut ({@code LiveBuffers}). Splitting the
 * package into one package per stage was the alternative; it loses on three counts. A package's model
 * inputs and outputs must be FP32 ({@code PackageValidator} refuses code buffers there), so a stage package would dequantize at its
 * end and quantize again at the next stage's start, where codes should cross (one byte per value,
 * not four, and no conversion work). Re-planning after a failure would mean building and loading
 * new packages mid-stream; with ranges it only moves two integers, and a batch already past some
 * commands continues from where it is. And the cut is checked by the emulator itself (exactly the
 * buffers live there, with their sizes), so a wrong split cannot run. The price: every stage
 * device holds all the weights (the emulator decodes them once per device), and a device must be
 * able to start mid-package. Both the emulator ({@code Emulator.runCommands}) and OpenCL ({@code
 * OpenClPackage.runCommands}, which writes the cut's buffers to the device and reads the next
 * cut's back) can, and they agree bit for bit, so a pipeline may mix them; both take the buffers
 * to hand over from {@code BufferLifetimes}, the package's one definition of them.
 */
package dev.potaccel.device.pool;
