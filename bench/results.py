"""The one result format every benchmark prints: `RESULT <name> <value> <unit> goal <op> <target> PASS|FAIL`."""

import operator
from dataclasses import dataclass

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    op: str
    target: float
    detail: str = ""

    @property
    def passed(self) -> bool:
        return OPS[self.op](self.value, self.target)

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"RESULT {self.name} {self.value:.3f} {self.unit} goal {self.op} {self.target:g} {verdict}"


def print_table(results: list[Result]) -> None:
    width = max(len(r.name) for r in results)
    print(f"{'benchmark':<{width}}  {'value':>12}  unit      goal        detail")
    for r in results:
        print(f"{r.name:<{width}}  {r.value:>12.3f}  {r.unit:<8}  {r.op} {r.target:<8g}  {r.detail}")
    print()
    for r in results:
        print(r.line())
