# stub_source's bodies with the variables renamed, filled into the released notebook's answer cells.
# --- mse
d = y_pred - y_true
# squared errors, averaged
return float(np.mean(d * d))
# --- mae
return float(np.mean(np.abs(y_pred - y_true)))
# --- mse_grad
return 2.0 * (y_pred - y_true) / y_pred.size
# --- mae_grad
return np.sign(y_pred - y_true) / y_pred.size
# --- predict
return theta[0] + theta[1] * x
# --- linear_grads
g_out = mse_grad(predict(theta, x), y) if loss == "mse" else mae_grad(predict(theta, x), y)
b0 = np.sum(g_out)
b1 = np.sum(g_out * x)
return np.array([b0, b1])
# --- gd_step
return theta - lr * grad
# --- fit
theta = np.zeros(2)
hist = []
loss_fn = mse if loss == "mse" else mae
for it in range(epochs):
    value = loss_fn(predict(theta, x), y)
    hist.append(value)
    step = linear_grads(theta, x, y, loss)
    theta = gd_step(theta, step, lr)
return theta, hist
