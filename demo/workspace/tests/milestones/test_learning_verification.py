"""Milestone verification tests of the demo workspace (pure Python, no numpy).

Like TinyTorch's own, they return True/False instead of asserting: the sidecar's
honest-returns plugin turns a False into a failure.
"""


def train_perceptron(samples, epochs=25, rate=0.1):
    weights, bias = [0.0, 0.0], 0.0
    for _ in range(epochs):
        for (x1, x2), target in samples:
            output = 1 if weights[0] * x1 + weights[1] * x2 + bias > 0 else 0
            error = target - output
            weights[0] += rate * error * x1
            weights[1] += rate * error * x2
            bias += rate * error
    return lambda x1, x2: 1 if weights[0] * x1 + weights[1] * x2 + bias > 0 else 0


def accuracy(predict, samples):
    return sum(predict(*inputs) == target for inputs, target in samples) / len(samples)


AND = [((0, 0), 0), ((0, 1), 0), ((1, 0), 0), ((1, 1), 1)]
XOR = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


def test_perceptron_learning():
    predict = train_perceptron(AND)
    print(f"perceptron accuracy on AND: {accuracy(predict, AND):.0%}")
    return accuracy(predict, AND) == 1.0


def test_xor_learning():
    # One layer cannot separate XOR: this is the 1969 crisis, solved only by hidden layers.
    predict = train_perceptron(XOR, epochs=100)
    print(f"single-layer accuracy on XOR: {accuracy(predict, XOR):.0%}")
    return accuracy(predict, XOR) == 1.0
