# Bodies a student filled into the released stub (each replaces "# YOUR CODE HERE / raise NotImplementedError()").
# --- mse
diff = y_pred - y_true
return float(np.mean(diff * diff))
# --- mae
return float(np.mean(np.abs(y_pred - y_true)))
# --- mse_grad
return 2.0 * (y_pred - y_true) / y_pred.size
# --- mae_grad
return np.sign(y_pred - y_true) / y_pred.size
# --- predict
return theta[0] + theta[1] * x
# --- linear_grads
residual_grad = mse_grad(predict(theta, x), y) if loss == "mse" else mae_grad(predict(theta, x), y)
d_intercept = np.sum(residual_grad)
d_slope = np.sum(residual_grad * x)
return np.array([d_intercept, d_slope])
# --- gd_step
return theta - lr * grad
# --- fit
theta = np.zeros(2)
history = []
loss_of = mse if loss == "mse" else mae
for epoch in range(epochs):
    current = loss_of(predict(theta, x), y)
    history.append(current)
    grads = linear_grads(theta, x, y, loss)
    theta = gd_step(theta, grads, lr)
return theta, history
