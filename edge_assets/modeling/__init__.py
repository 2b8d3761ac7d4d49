"""Labels, training, walk-forward evaluation, the MLflow registry and model gating (no Dagster).

Import the submodules: xgboost, scikit-learn and mlflow load only when training or gating needs them.
"""
