"""Affine 계층 (밑바닥부터 시작하는 딥러닝 5장): 역전파 backward를 직접 작성해 보세요.

이 파일을 실행하거나(python affine_layer.py) tinygrad-ko check affine_layer.py --lang ko로 확인합니다.
"""

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        # 가중치와 편향의 기울기: backward가 채웁니다.
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        out = np.dot(x, self.W) + self.b
        return out

    def backward(self, dout):
        # dout은 상류에서 넘어온 미분입니다. 미니배치의 데이터 하나가 한 행입니다.
        raise NotImplementedError(
            "Affine.backward: 하류로 보낼 dx = dout @ W.T, 가중치의 기울기 "
            "self.dW = x.T @ dout(W와 같은 형상)입니다. 편향은 모든 데이터에 "
            "더해졌으므로 self.db = dout을 배치 방향(axis 0)으로 합한 값(b와 같은 "
            "형상)입니다. dx를 반환하세요"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(Affine, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
