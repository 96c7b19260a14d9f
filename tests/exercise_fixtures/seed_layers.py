# The layers of the study note this project grew from (/work/shared/seed/, "계층 구현" and
# "ReLU 계층"), copied as they are, bugs included: tests/test_exercises_layers.py checks that
# the report names this file and the line of each mistake.  Only these comments and the noqa are added.


class MulLayer:
  def __init__(self):
    self.x = None
    self.y = None
  def forward(self, x, y):
    self.x = x
    self.y = y
    out = x * y
    return out
  def backward(self, dout):
    dx = dout * self.y #x와 y를 바꾼다
    dy = dout * self.x
    return dx, dy

class AddLayer:
  def __init__(self):
    pass

  def forward(self, x, y):
    out = x + y
    return out
  def backward(self, dout):
    dx = dout * 1
    dy = dout * 1
    return dx, dy

class Relu:
  def __init__(self):
    self.mask = None

  def forward(self, x):
    self.mask = (x <= 0)
    out = x.copy()
    out[self.mask] = 0
    return out

  def backward(self, dout):
    dout[self.mask] = 0
    dx = douit  # noqa: F821 - the note's typo, kept: the check must find it
    return dx
