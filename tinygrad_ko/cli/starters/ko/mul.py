"""곱셈 계층 MulLayer (밑바닥부터 시작하는 딥러닝 5장): 역전파 backward를 직접 작성해 보세요.

이 파일을 실행하거나(python mul_layer.py) tinygrad-ko check mul_layer.py --lang ko로 확인합니다.
"""

import numpy as np  # noqa: F401 (필요할 때 쓰세요)


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        # 순전파: 역전파에 필요하므로 두 입력을 저장해 둡니다.
        self.x = x
        self.y = y
        out = x * y
        return out

    def backward(self, dout):
        # dout은 상류에서 넘어온 미분입니다. 하류로 보낼 (dx, dy)를 반환합니다.
        raise NotImplementedError(
            "MulLayer.backward: 곱셈 노드는 상류에서 넘어온 미분 dout에 순전파 때의 "
            "입력 신호를 서로 바꾼 값을 곱해 하류로 보냅니다: dx = dout * y, dy = "
            "dout * x. dx, dy를 반환하세요"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(MulLayer, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
