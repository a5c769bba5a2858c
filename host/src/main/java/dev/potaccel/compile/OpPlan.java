package dev.potaccel.compile;

import dev.potaccel.graph.Node;
import dev.potaccel.protocol.pkg.Activation;

/**
 * Where one node of the graph goes and how: decided for every node before any command is emitted.
 *
 * @param kind what the node becomes
 * @param activation the activation fused into a CONV, GEMM or ADD (NONE otherwise)
 * @param leakyShift {@code a} of a fused LeakyReLU's slope {@code 2^-a}
 * @param activationNode the Relu, Clip or LeakyRelu node fused into this one, or null
 * @param reason for HOST: why the accelerator cannot run it
 */
record OpPlan(Kind kind, Activation activation, int leakyShift, Node activationNode,
    String reason) {

  enum Kind {
    /** A Conv on the accelerator (CONV command). */
    CONV,
    /** A Gemm as a 1x1 CONV command over a [K] buffer. */
    GEMM,
    /** MaxPool, AveragePool, GlobalAveragePool (POOL command). */
    POOL,
    /** An Add of two code tensors (ADD command). */
    ADD,
    /** Flatten, Reshape, Squeeze, Unsqueeze keeping the batch: a RESHAPE command (a view). */
    VIEW,
    /** Identity, inference-mode Dropout: the output is the input, no command. */
    ALIAS,
    /** A value known before the run (Constant, resolved shape arithmetic): no command. */
    CONSTANT,
    /** A Relu, Clip or LeakyRelu fused into the CONV, GEMM or ADD before it: no command. */
    FUSED,
    /** FP32 on the host CPU engine (HOST command). */
    HOST
  }

  static OpPlan of(Kind kind) {
    return new OpPlan(kind, Activation.ACTIVATION_NONE, 0, null, "");
  }

  static OpPlan host(String reason) {
    return new OpPlan(Kind.HOST, Activation.ACTIVATION_NONE, 0, null, reason);
  }

  OpPlan fusing(Node node, Activation act, int shift) {
    return new OpPlan(kind, act, shift, node, reason);
  }

  boolean emitsNothing() {
    return kind == Kind.ALIAS || kind == Kind.CONSTANT || kind == Kind.FUSED;
  }
}
