"""The logistics planning system's assessment folders: one folder of CSVs per assessment (a course of action).

The replaced system (github.com/Jerome3590/aws-quicksight-dashboard-automation) received, per assessment, the
assessment and its what-if parameters (real files in ``../shared/data/seeds/logistics/``), the Class IX
dimensional data (real) and the outputs of its per-class calculators. Only the first three were shared; the other
14 files are generated here from the column lists and types of the QuickSight table maps
(``quicksight_table_maps/*_logical_map.json``), with values that hang together: the periods of support follow the
days of supply (POS1..POS3 end on the cumulative DaysOfSupplyFirst/Second/Third, BEYOND runs to the operation's
end), troops flow into locations day by day, rations and water follow the headcount, class II/VII, IIIP, IV, VI
and IX requirements are priced and dimensioned. The original's quirks are kept on purpose:

* column names as its files had them, R-mangled (``Unit.of.Issue``, ``DOS1_Units_Pallet_Tot_Wt.lbs.``) or as its
  water calculator wrote them (``Non-potable``, ``Total water``, empty ``V7``..``V9`` columns it dropped);
* names that differ only in case or punctuation (``DESCRIPTION`` and ``Description``; ``STANDARD_UNIT_PRICE`` and
  ``STANDARD.UNIT.PRICE``);
* NIINs with leading zeros, written with and without them (``013689154`` and ``13689154``), Class IX flags as
  ``TRUE``/``True``/``false``, dimensions of ``9999`` or ``0`` meaning unknown, zero cubes in the item data,
  rows whose weight or quantity is 0 (the original dropped them), JSON arrays inside CSV cells, empty columns
  and ``2024-04-12 18:10:31.0`` timestamps in the assessment files.

Everything comes from seeded ``random.Random`` generators (no clock, no network); every file is small (hundreds
of rows) so a demo lands in seconds.

Modules: assessment.py (an assessment, its periods, the demo's three, the assessment files), force.py (locations,
units, Locations.csv), classix.py (Class IX items), one calculator module per class of supply (subsistence.py,
water.py, equipment.py, fuel.py, construction.py, comfort.py, repair_parts.py), writing.py (CSV as R wrote it) and
generate.py (one assessment folder).
"""

from qs_platform.examples.logistics.assessment import DEMO_ASSESSMENTS, Assessment
from qs_platform.examples.logistics.classix import read_classix
from qs_platform.examples.logistics.generate import LOGISTICS_FILES, generate_logistics_assessment

__all__ = ["Assessment", "DEMO_ASSESSMENTS", "LOGISTICS_FILES", "generate_logistics_assessment", "read_classix"]
