package dev.potaccel.report;

import java.util.List;

/**
 * Everything the report shows, measured by its caller.
 *
 * @param model the model's file name
 * @param scheme the scheme whose layers the per-layer sections show
 * @param facts label/value lines at the top: model hash, calibration images, test images, tool
 *     version... (in order)
 * @param layers one section per weighted layer, in graph order
 * @param curve DoubleQExt's curve, or null when it was not measured
 * @param energy the energy split per scheme, in the order compiled
 * @param energyNote how the energies were estimated (batch, accelerator, energy table)
 * @param notes caveats shown under the facts
 */
public record ModelReport(String model, String scheme, List<Fact> facts,
    List<LayerSection> layers, MemoryCurve curve, List<SchemeEnergy> energy, String energyNote,
    List<String> notes) {
  /** One line of the summary table. */
  public record Fact(String label, String value) {}

  public ModelReport {
    facts = List.copyOf(facts);
    layers = List.copyOf(layers);
    energy = List.copyOf(energy);
    notes = List.copyOf(notes);
  }
}
