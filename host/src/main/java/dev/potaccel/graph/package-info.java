/**
 * The typed graph IR every later step works on: {@link dev.potaccel.graph.Graph} (nodes in
 * topological order, initializers, inferred value types), {@link dev.potaccel.graph.Tensor} and
 * {@link dev.potaccel.graph.ShapeInference}, the one place operator shapes and attribute defaults
 * are defined. Throws {@link dev.potaccel.graph.GraphException} for inconsistent graphs and
 * {@link dev.potaccel.graph.UnsupportedOperatorException} for variants potaccel does not implement.
 * Depends on nothing else in host.
 */
package dev.potaccel.graph;
