# Another student's bodies for the released stub, written independently in the same natural style.
# --- mse
return float(np.mean((y_pred - y_true) ** 2))
# --- mae
return float(np.mean(np.abs(y_pred - y_true)))
# --- mse_grad
n = y_pred.size
return 2 * (y_pred - y_true) / n
# --- mae_grad
return np.sign(y_pred - y_true) / y_pred.size
# --- predict
return theta[0] + theta[1] * x
# --- linear_grads
y_pred = predict(theta, x)
if loss == "mse":
    g = mse_grad(y_pred, y)
else:
    g = mae_grad(y_pred, y)
return np.array([g.sum(), (g * x).sum()])
# --- gd_step
return theta - lr * grad
# --- fit
theta = np.array([0.0, 0.0])
history = []
for _ in range(epochs):
    y_pred = predict(theta, x)
    history.append(mse(y_pred, y) if loss == "mse" else mae(y_pred, y))
    theta = gd_step(theta, linear_grads(theta, x, y, loss), lr)
return theta, history
