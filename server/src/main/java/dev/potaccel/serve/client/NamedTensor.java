package dev.potaccel.serve.client;

import dev.potaccel.graph.Tensor;

/** A tensor with the model input or output name it belongs to. */
public record NamedTensor(String name, Tensor tensor) {}
