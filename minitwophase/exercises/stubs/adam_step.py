"""Exercise 5: one step of Adam, Kingma & Ba (2015), Algorithm 1.

Given the parameters theta, the gradient g = grad at theta, the moments m and v after step
t - 1 (zeros before the first step), and the number t of THIS step (t = 1 on the first):

    m_t = beta1 m_{t-1} + (1 - beta1) g
    v_t = beta2 v_{t-1} + (1 - beta2) g^2
    m_hat = m_t / (1 - beta1^t),   v_hat = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps)

Return the new (theta, m, v). Do not modify the arrays you are given.

Run this file (from any directory) to check your answer: python adam_step.py
"""
import numpy as np


def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Return (theta_t, m_t, v_t) after Adam step number t."""
    # YOUR CODE HERE (five lines)
    raise NotImplementedError("adam_step: update m and v with the gradient, bias-correct "
                              "both with t, then step theta")


if __name__ == "__main__":
    from minitwophase.exercises import check_adam_step
    result = check_adam_step(adam_step)
    print(result)
    raise SystemExit(0 if result.passed else 1)
