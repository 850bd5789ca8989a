from chainrule import lesson, parameter


@lesson("A tanh neuron with a bias")
def tanh_neuron(x=0.5, w=-1.2, b=0.3, y=1.0, learning_rate=0.1):
    w, b = parameter(w, "w"), parameter(b, "b")
    return ((w * x + b).tanh() - y) ** 2
