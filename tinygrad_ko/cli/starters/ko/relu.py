"""ReLU 계층 Relu (밑바닥부터 시작하는 딥러닝 5장): 역전파 backward를 직접 작성해 보세요.

이 파일을 실행하거나(python relu_layer.py) tinygrad-ko check relu_layer.py --lang ko로 확인합니다.
"""

import numpy as np


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        # mask는 입력이 0 이하인 곳에서 True입니다: 그곳에서는 스위치가 꺼집니다.
        self.mask = x <= 0
        out = np.where(self.mask, 0.0, x)  # 새 배열: 호출한 쪽의 x는 그대로 둡니다
        return out

    def backward(self, dout):
        # dout은 상류에서 넘어온 미분입니다. 하류로 보낼 dx를 반환합니다.
        raise NotImplementedError(
            "Relu.backward: 순전파 때 입력이 0보다 컸던 곳에서는 상류의 미분 dout을 "
            "그대로 흘려보내고, 0 이하였던 곳(self.mask)에서는 0을 보냅니다. 호출한 쪽의 "
            "dout에 쓰지 말고 새 배열을 만드세요. dx를 반환하세요"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(Relu, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
