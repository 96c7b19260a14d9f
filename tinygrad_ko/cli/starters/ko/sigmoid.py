"""Sigmoid 계층 (밑바닥부터 시작하는 딥러닝 5장): 역전파 backward를 직접 작성해 보세요.

이 파일을 실행하거나(python sigmoid_layer.py) tinygrad-ko check sigmoid_layer.py --lang ko로 확인합니다.
"""

import numpy as np


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        # 출력을 저장해 둡니다: 시그모이드 함수의 미분은 출력으로 쓸 수 있습니다.
        self.out = out
        return out

    def backward(self, dout):
        # dout은 상류에서 넘어온 미분입니다. 하류로 보낼 dx를 반환합니다.
        raise NotImplementedError(
            "Sigmoid.backward: y = sigmoid(x)의 국소적 미분은 y * (1 - "
            "y)이고, 입력이 아니라 출력 y(self.out)로 씁니다. 상류의 미분 dout에 이것을 "
            "곱하세요. dx를 반환하세요"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(Sigmoid, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
