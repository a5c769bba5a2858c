package dev.potaccel.cli;

import dev.potaccel.data.InputFileException;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.ModelFormatException;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A model a command was given, with its sidecar metadata (or {@link ModelMetadata#none} when it
 * has none): an imported ONNX graph, or a compiled accelerator package ({@code .potpkg}, told
 * apart by its magic bytes). Exactly one of {@code graph} and {@code pkg} is set.
 *
 * @param name the model file name, for messages
 * @param sha256 SHA-256 of the ONNX file (for a package: of the ONNX file it was compiled from)
 */
record LoadedModel(String name, Graph graph, AcceleratorPackage pkg, ModelMetadata metadata,
    String sha256) {

  LoadedModel {
    if ((graph == null) == (pkg == null)) {
      throw new IllegalArgumentException("a model is a graph or a package");
    }
  }

  /** Imports {@code file} (ONNX) or reads and checks it (package), and the {@code .json} beside. */
  static LoadedModel read(Path file) {
    String name = file.getFileName().toString();
    ModelMetadata meta = ModelMetadata.readSidecar(file)
        .orElseGet(() -> ModelMetadata.none(name));
    if (isPackage(file)) {
      AcceleratorPackage pkg = PackageFile.read(file);
      return new LoadedModel(name, null, pkg, meta, pkg.getProvenance().getModelSha256());
    }
    Graph graph = OnnxImporter.read(file);
    return new LoadedModel(name, graph, null, meta, sha256(file));
  }

  private static boolean isPackage(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return Arrays.equals(in.readNBytes(PackageFile.HEADER_BYTES), PackageFile.magic());
    } catch (IOException e) {
      return false; // the importer reports the missing or unreadable file
    }
  }

  private static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** SHA-256 of {@code bytes}, hex. */
  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha().digest(bytes));
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  boolean isPackage() {
    return pkg != null;
  }

  /** The one input the CLI feeds. */
  ValueInfo input() {
    List<ValueInfo> inputs = isPackage() ? EmulatorSession.inputsOf(pkg) : graph.inputs();
    if (inputs.size() != 1) {
      throw new InputFileException(name + ": has " + inputs.size() + " inputs "
          + inputs.stream().map(ValueInfo::name).toList()
          + "; potaccel feeds models with exactly one");
    }
    return inputs.get(0);
  }

  /** The output whose scores are ranked and written: the first. */
  ValueInfo output() {
    return (isPackage() ? EmulatorSession.outputsOf(pkg) : graph.outputs()).get(0);
  }
}
