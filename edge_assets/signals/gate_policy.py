"""How the model gate's confidence threshold is learnt (pure constants).

Shared by the modeling code and the model registry resource; kept apart from `edge_assets.modeling`
so that the code location loads without importing xgboost.
"""

# The gate's threshold when there are too few earlier signals to learn it from.
DEFAULT_GATE_THRESHOLD = 0.5
# The learnt gate keeps at least this share of the rule's signals: a threshold picked to keep a
# handful of signals would fit the noise of a few closing lines.
MIN_KEPT_SHARE = 0.6
# Fewer earlier signals than this are too few to learn a threshold from.
MIN_SIGNALS_TO_LEARN = 20
