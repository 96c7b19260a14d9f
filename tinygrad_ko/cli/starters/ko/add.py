"""덧셈 계층 AddLayer (밑바닥부터 시작하는 딥러닝 5장): 역전파 backward를 직접 작성해 보세요.

이 파일을 실행하거나(python add_layer.py) tinygrad-ko check add_layer.py --lang ko로 확인합니다.
"""

import numpy as np  # noqa: F401 (필요할 때 쓰세요)


class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        out = x + y
        return out

    def backward(self, dout):
        # dout은 상류에서 넘어온 미분입니다. 하류로 보낼 (dx, dy)를 반환합니다.
        raise NotImplementedError(
            "AddLayer.backward: 덧셈 노드의 국소적 미분은 1과 1이므로, 상류에서 넘어온 "
            "미분 dout을 두 입력 쪽으로 그대로 흘려보냅니다. dx, dy를 반환하세요"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(AddLayer, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
