"""Write app/accounts/common_passwords.txt: passwords people pick first, built from well-known patterns.

There is no internet on the machines this is built for, so instead of a leaked list the file is
generated from what every such list is full of: famous words and Chinese pinyin words, keyboard
walks and digit runs, each with the suffixes people add (1, 123, 888, 520, years ...). Only entries
the policy would otherwise accept (8+ characters, a letter and a digit) are written; the rest are
refused by the length and class rules anyway.

    python scripts/common_passwords.py
"""

import itertools
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "app" / "accounts" / "common_passwords.txt"

WORDS = """
password passwd pass admin administrator root user guest login welcome hello test master super
qwerty qwert asdf asdfgh asdfghjkl zxcvbn zxcvbnm qazwsx abc abcd abcde abcdef abcdefg iloveyou
love lover monkey dragon letmein sunshine princess football baseball soccer shadow michael jordan
superman batman trustno1 whatever freedom secret computer internet china beijing shanghai
woaini woaiwojia woaini1314 aini zhang wang li liu chen yang huang zhao zhou wu xu sun ma zhu
zhangwei wangwei wangfang liwei lina zhangmin lijing wangjing liuwei wangli zhangli lixia
baobao beibei tiantian yangyang xiaoming xiaohong laopo laogong qinqin aiai haha hehe
dangyuan dangjian dangzhibu dangwei gongchandang zhongguo zhonghua hongqi hongse party
shuji zuzhi xuexi qiangguo xuexiqiangguo renmin gongsi bangong caiwu jiaoyu peixun
company office system manager server oracle mysql linux windows apple google baidu tencent
huawei xiaomi alibaba taobao weixin wechat qq qqqq
"""

SUFFIXES = [
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "01",
    "007",
    "11",
    "111",
    "1111",
    "66",
    "666",
    "6666",
    "88",
    "888",
    "8888",
    "99",
    "999",
    "520",
    "521",
    "1314",
    "5201314",
    "000",
    "0000",
    "a",
    "abc",
    "!",
    "@",
    "#",
    "@123",
    "#123",
    "!@#",
    "123!",
    "1!",
    "0",
]
YEARS = [str(y) for y in range(1960, 2031)]

KEYBOARD = [
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "qazwsx123",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "zaq12wsx",
    "zaq1xsw2",
    "qwer1234",
    "qwert123",
    "qwerty123",
    "asdf1234",
    "zxcv1234",
    "1234qwer",
    "1234asdf",
    "abcd1234",
    "abc12345",
    "a1b2c3d4",
    "a1b2c3d4e5",
    "aa123456",
    "aa12345678",
    "a123456789",
    "a12345678",
    "a1234567",
    "1234567a",
    "12345678a",
    "123456789a",
    "123456aa",
    "123qwe",
    "123qweasd",
    "123qweasdzxc",
    "qweasdzxc123",
    "qweasd123",
    "p@ssw0rd",
    "passw0rd",
    "p@ssword",
    "pa55word",
    "pa55w0rd",
    "1qazxsw2",
    "2wsx3edc",
    "1qaz@wsx",
]

DIGIT_RUNS = [
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "12341234",
    "11223344",
    "13141314",
    "52013140",
    "147258369",
    "159357",
]


def accepted_shape(candidate: str) -> bool:
    return (
        len(candidate) >= 8 and bool(re.search(r"[A-Za-z]", candidate)) and bool(re.search(r"\d", candidate))
    )


def candidates():
    words = WORDS.split()
    for word in words:
        for suffix in itertools.chain(SUFFIXES, YEARS):
            yield word + suffix
        for prefix in ("1", "123", "a", "abc"):
            yield prefix + word
        yield word.capitalize() + "123"
        yield word.capitalize() + "1"
    yield from KEYBOARD
    for run in DIGIT_RUNS:
        for letters in ("a", "aa", "abc", "q", "qq", "x", "z", "qwe", "asd", "zxc"):
            yield run + letters
            yield letters + run
    for first, second in itertools.permutations(["qwe", "asd", "zxc", "123", "abc", "qaz", "wsx"], 2):
        yield first + second + "123"
        yield first + second + "1"


def main() -> None:
    seen = sorted({c.lower() for c in candidates() if accepted_shape(c)})
    header = "# Common passwords (lower case), one a line; written by scripts/common_passwords.py.\n"
    OUT.write_text(header + "\n".join(seen) + "\n", encoding="utf-8")
    print(f"{len(seen)} passwords written to {OUT}")


if __name__ == "__main__":
    main()
