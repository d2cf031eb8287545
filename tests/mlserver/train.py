"""Builds the protocol-test model: a scikit-learn LogisticRegression over two features the
scoring stage sends (BLOSUM62 score, Grantham distance). It is trained on a few deterministic
rows (label = "Grantham distance of 100 or more") so tests can check that a conservative change
scores lower than a radical one. It is NOT a pathogenicity predictor."""

import json
import pathlib
import sys

import joblib
from sklearn.linear_model import LogisticRegression

# (blosum62, grantham) for real amino-acid pairs (NCBI BLOSUM62, Grantham 1974).
ROWS = [
    ((2, 5), 0),  # I/L
    ((2, 15), 0),  # L/M
    ((3, 29), 0),  # V/I
    ((2, 26), 0),  # R/K
    ((1, 46), 0),  # S/N
    ((1, 43), 0),  # Q/R
    ((2, 45), 0),  # E/D
    ((1, 58), 0),  # S/T
    ((-2, 215), 1),  # C/W
    ((-3, 154), 1),  # C/D
    ((-3, 177), 1),  # W/S
    ((-2, 125), 1),  # G/R
    ((-3, 180), 1),  # C/R
    ((-2, 184), 1),  # G/W
    ((-3, 177), 1),  # F/D
    ((-3, 110), 1),  # Y/P
]


def main(out_dir: str) -> None:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X = [list(features) for features, _ in ROWS]
    y = [label for _, label in ROWS]
    model = LogisticRegression(random_state=0).fit(X, y)
    joblib.dump(model, out / "model.joblib")
    (out / "TRAINING.json").write_text(json.dumps({"features": ["blosum62", "grantham"], "rows": X, "labels": y}))


if __name__ == "__main__":
    main(sys.argv[1])
