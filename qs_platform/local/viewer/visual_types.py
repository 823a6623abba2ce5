"""Every visual type of botocore's QuickSight `Visual` union and what the local viewer does with it.

The README's coverage table is generated from `VISUAL_TYPES` (`python -m qs_platform.local.viewer.coverage`);
a test fails when botocore's model has a type this table lacks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VisualType:
    name: str
    status: str  # supported | approximated | unsupported
    how: str = ""


VISUAL_TYPES: dict[str, VisualType] = {
    v.name: v
    for v in [
        VisualType("TableVisual", "supported", "aggregated or row-level; first 1,000 rows"),
        VisualType("PivotTableVisual", "approximated", "row/column totals are sums of the shown cells"),
        VisualType("BarChartVisual", "supported"),
        VisualType("KPIVisual", "supported", "value, target and the last trend period"),
        VisualType("PieChartVisual", "supported"),
        VisualType("GaugeChartVisual", "supported", "value against its target (or the value's own scale)"),
        VisualType("LineChartVisual", "supported"),
        VisualType("HeatMapVisual", "supported"),
        VisualType("TreeMapVisual", "approximated", "slice-and-dice tiles sized by the Sizes measure"),
        VisualType("GeospatialMapVisual", "approximated", "points on a fitted equirectangular projection, no base map"),
        VisualType("FilledMapVisual", "approximated", "one shaded tile per region, no geocoding"),
        VisualType(
            "LayerMapVisual", "unsupported", "map layers need a base map and geocoding the offline viewer does not have"
        ),
        VisualType("FunnelChartVisual", "supported"),
        VisualType("ScatterPlotVisual", "supported"),
        VisualType("ComboChartVisual", "approximated", "lines with a Colors well add the colours up"),
        VisualType("BoxPlotVisual", "supported", "min, quartiles and max of the rows of each group"),
        VisualType("WaterfallVisual", "supported", "each category's bar starts where the previous ended, plus a total"),
        VisualType(
            "HistogramVisual",
            "approximated",
            "up to 5,000 row values binned in the browser (bin count from BinOptions)",
        ),
        VisualType("WordCloudVisual", "supported", "words sized by the Size measure"),
        VisualType(
            "InsightVisual",
            "approximated",
            "computations run as queries; the narrative's <expression>, <if> and <for> filled from them",
        ),
        VisualType("SankeyDiagramVisual", "supported", "source and destination nodes, flows sized by the weight"),
        VisualType("CustomContentVisual", "unsupported", "embedded web content is not fetched offline (strict CSP)"),
        VisualType("EmptyVisual", "supported", "an empty card"),
        VisualType("RadarChartVisual", "supported"),
        VisualType("PluginVisual", "unsupported", "third-party plugin code is not available offline"),
    ]
}

SUPPORTED_VISUALS = tuple(name for name, v in VISUAL_TYPES.items() if v.status != "unsupported")
NO_QUERY_VISUALS = ("EmptyVisual", "InsightVisual")  # drawn without a field-well query


def unsupported_reason(kind: str) -> str:
    known = VISUAL_TYPES.get(kind)
    return known.how if known else "not a visual type of this botocore version"
