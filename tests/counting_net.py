"""A network wrapper that tallies what loss_and_grad sees, independently of the trainer's cost."""


class CountingNet:
    """Wraps a network and counts the samples every loss_and_grad call sees, and the calls on
    the full batch of ``n_full`` samples (independent tally)."""

    def __init__(self, net, n_full):
        self.net, self.n_full, self.samples, self.full_calls = net, n_full, 0, 0

    def __getattr__(self, name):
        return getattr(self.net, name)

    def loss_and_grad(self, theta, X, y, **kw):
        self.samples += len(X)
        self.full_calls += len(X) == self.n_full
        return self.net.loss_and_grad(theta, X, y, **kw)
