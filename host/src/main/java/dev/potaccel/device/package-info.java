/**
 * Devices that run compiled packages. {@link dev.potaccel.device.EmulatorSession}: an {@code
 * AcceleratorPackage} → the bit-exact {@code emulator} module's {@code Emulator}, FP32 batches in
 * and dequantized FP32 outputs out; its HOST commands run on the CPU reference engine through
 * {@link dev.potaccel.device.HostGraphExecutor}, which imports the package's {@code host_graph}
 * with {@code OnnxImporter.fromProto}. A package that breaks the contract raises the protocol's
 * {@code PackageFormatException}; a host graph that does not import raises the importer's {@code
 * ModelFormatException} or {@code UnsupportedOperatorException}; use after close raises {@link
 * IllegalStateException}.
 */
package dev.potaccel.device;
