def linear_cg(*a, **k):  # PLACEHOLDER
    raise NotImplementedError
