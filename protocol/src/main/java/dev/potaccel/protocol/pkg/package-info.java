/**
 * The compiled accelerator package (docs/accelerator.md §4, §5): the {@code AcceleratorPackage}
 * protobuf messages generated from {@code potaccel/package.proto}, plus the hand-written codecs
 * around them. {@link dev.potaccel.protocol.pkg.WeightPacker} packs weight codes and biases into
 * the DMA tile layout (shaped by a {@link dev.potaccel.protocol.pkg.WeightTiling}); {@link
 * dev.potaccel.protocol.pkg.PackageFile} writes and reads {@code .potpkg} files; {@link
 * dev.potaccel.protocol.pkg.PackageValidator} checks a package against the contract. Bad packages
 * raise {@link dev.potaccel.protocol.pkg.PackageFormatException} naming the file and the field path
 * or byte offset.
 */
package dev.potaccel.protocol.pkg;
