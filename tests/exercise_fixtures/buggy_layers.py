"""Layers with one classic mistake each: each one's name says which finding code it must get.

Each class is the correct book layer (book_layers.py) with one method changed.
"""

import book_layers as book
import numpy as np


class MulSwapped(book.MulLayer):
    def backward(self, dout):
        return dout * self.x, dout * self.y  # the book's readers' mistake: the inputs not exchanged


class MulSwappedOnlyDx(book.MulLayer):
    def backward(self, dout):
        return dout * self.x, dout * self.x


class MulMissingUpstream(book.MulLayer):
    def backward(self, dout):
        return self.y, self.x


class MulWrongForward(book.MulLayer):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x + y


class MulReturnsOne(book.MulLayer):
    def backward(self, dout):
        return dout * self.y


class AddSubSign(book.AddLayer):
    def backward(self, dout):
        return dout, -dout  # sub's sign where there is no subtraction


class AddMissingUpstream(book.AddLayer):
    def backward(self, dout):
        return np.ones_like(dout), np.ones_like(dout)


class AddTypo(book.AddLayer):
    def backward(self, dout):
        dx = dout
        return dx, doutt  # noqa: F821 - the mistake under test


class ReluBookBackward(book.Relu):
    def backward(self, dout):
        dout[self.mask] = 0  # the book's own code: right numbers, the caller's dout changed
        dx = dout
        return dx


class ReluForwardInPlace(book.Relu):
    def forward(self, x):
        self.mask = (x <= 0)
        x[self.mask] = 0
        return x


class ReluMaskInverted(book.Relu):
    def backward(self, dout):
        dx = dout.copy()
        dx[~self.mask] = 0
        return dx


class SigmoidOfInput(book.Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)


class SigmoidMissingUpstream(book.Sigmoid):
    def backward(self, dout):
        return (1.0 - self.out) * self.out


class AffineDbNotSummed(book.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout
        return dx


class AffineDwTransposed(book.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = np.dot(dout.T, self.x)
        return dx


class AffineForgetsDw(book.Affine):
    def backward(self, dout):
        return np.dot(dout, self.W.T)


class SoftmaxNotAveraged(book.SoftmaxWithLoss):
    def backward(self, dout=1):
        return self.y - self.t


class SoftmaxNoReturn(book.SoftmaxWithLoss):
    def backward(self, dout=1):
        self.dx = (self.y - self.t) / self.t.shape[0]


class AffineTransposedToFit(book.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = np.dot(dout.T, self.x)
        if self.dW.shape != self.W.shape:  # "fixed" by transposing until the shape fits
            self.dW = self.dW.T
        return dx


class MulRoundingNoise(book.MulLayer):
    def backward(self, dout):
        # A right answer with other rounding: a relative change of 1e-13, far inside the tolerance.
        return dout * self.y * (1 + 1e-13), dout * self.x * (1 - 1e-13)


class MulSlightlyOff(book.MulLayer):
    def backward(self, dout):
        return dout * self.y * (1 + 1e-8), dout * self.x


class AffineRaisingProperty(book.Affine):
    # Raises when the check reads db, outside any method the check calls.
    @property
    def db(self):
        raise ValueError("db is computed later")

    @db.setter
    def db(self, value):
        pass


class SoftmaxLossOff(book.SoftmaxWithLoss):
    def forward(self, x, t):
        self.t = t
        self.y = book.softmax(x)
        batch_size = self.y.shape[0]
        return -np.sum(t * np.log(self.y + 1e-3)) / batch_size  # 1e-3, not 1e-7: visibly off
