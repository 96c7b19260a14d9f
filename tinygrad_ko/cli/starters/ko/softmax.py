"""Softmax-with-Loss 계층 SoftmaxWithLoss (밑바닥부터 시작하는 딥러닝 5장): 역전파 backward를 직접 작성해 보세요.

이 파일을 실행하거나(python softmax_layer.py) tinygrad-ko check softmax_layer.py --lang ko로 확인합니다.
"""

import numpy as np


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)  # 오버플로 대책: 결과는 같습니다
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # 원-핫 인코딩된 정답 레이블: 각 데이터에서 1이 있는 인덱스
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None  # softmax의 출력
        self.t = None  # 정답 레이블(원-핫 인코딩, 또는 클래스 번호)

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        # dout은 상류에서 넘어온 미분입니다(손실이 계산 그래프의 끝이면 1).
        raise NotImplementedError(
            "SoftmaxWithLoss.backward: 평균 손실을 x로 미분하면 (y - t) / "
            "batch_size입니다(t가 원-핫일 때; 클래스 번호이면 각 데이터의 정답 위치에서 1을 "
            "뺍니다). 여기에 상류의 미분 dout을 곱하세요. dx를 반환하세요"
        )


if __name__ == "__main__":
    from tinygrad_ko.exercises import check_layer

    report = check_layer(SoftmaxWithLoss, lang="ko")
    print(report)
    raise SystemExit(0 if report else 1)
