package dev.potaccel.data;

import dev.potaccel.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of inputs read from one place: the tensor (batch first), a display name per item (the
 * picture's file name, or "image 3"), and the true class per item when a labels file came with it
 * (empty otherwise).
 *
 * @param source the file or directory it was read from, for messages
 */
public record InputBatch(String source, Tensor tensor, List<String> itemNames,
    List<Integer> labels) {

  public InputBatch {
    itemNames = List.copyOf(itemNames);
    labels = List.copyOf(labels);
    if (!labels.isEmpty() && labels.size() != itemNames.size()) {
      throw new IllegalArgumentException(labels.size() + " labels for " + itemNames.size()
          + " items");
    }
  }

  /** A batch read from one tensor file: items named "image 0", "image 1", ..., no labels. */
  public static InputBatch numbered(String source, Tensor tensor) {
    List<String> names = new ArrayList<>(tensor.dim(0));
    for (int i = 0; i < tensor.dim(0); i++) {
      names.add("image " + i);
    }
    return new InputBatch(source, tensor, names, List.of());
  }

  public int size() {
    return itemNames.size();
  }

  public boolean hasLabels() {
    return !labels.isEmpty();
  }

  /** The same items with their true classes attached. */
  public InputBatch withLabels(List<Integer> trueClasses) {
    return new InputBatch(source, tensor, itemNames, trueClasses);
  }
}
