"""Standard curves: logistic math, the lmfit model, starting values, fitter, uncertainty, back-calculation."""
