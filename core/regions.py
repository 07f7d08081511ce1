"""Thailand's 77 provinces (ISO 3166-2:TH) and the six geographic regions they belong to.

Teams cover territories and stores sit in regions; both name provinces by their ISO code
and regions by their key, while addresses keep the province as typed (Thai or English).
``province`` resolves any of those spellings to one entry, so a territory can be matched
against an address.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name_en: str
    name_th: str
    region: str


REGIONS: dict[str, str] = {
    "north": "Northern",
    "northeast": "Northeastern",
    "central": "Central",
    "east": "Eastern",
    "west": "Western",
    "south": "Southern",
}
"""The six-region grouping of the National Geographical Committee: key → English name."""

_TABLE = """
10 Bangkok|กรุงเทพมหานคร|central
11 Samut Prakan|สมุทรปราการ|central
12 Nonthaburi|นนทบุรี|central
13 Pathum Thani|ปทุมธานี|central
14 Phra Nakhon Si Ayutthaya|พระนครศรีอยุธยา|central
15 Ang Thong|อ่างทอง|central
16 Lop Buri|ลพบุรี|central
17 Sing Buri|สิงห์บุรี|central
18 Chai Nat|ชัยนาท|central
19 Saraburi|สระบุรี|central
20 Chon Buri|ชลบุรี|east
21 Rayong|ระยอง|east
22 Chanthaburi|จันทบุรี|east
23 Trat|ตราด|east
24 Chachoengsao|ฉะเชิงเทรา|east
25 Prachin Buri|ปราจีนบุรี|east
26 Nakhon Nayok|นครนายก|central
27 Sa Kaeo|สระแก้ว|east
30 Nakhon Ratchasima|นครราชสีมา|northeast
31 Buri Ram|บุรีรัมย์|northeast
32 Surin|สุรินทร์|northeast
33 Si Sa Ket|ศรีสะเกษ|northeast
34 Ubon Ratchathani|อุบลราชธานี|northeast
35 Yasothon|ยโสธร|northeast
36 Chaiyaphum|ชัยภูมิ|northeast
37 Amnat Charoen|อำนาจเจริญ|northeast
38 Bueng Kan|บึงกาฬ|northeast
39 Nong Bua Lam Phu|หนองบัวลำภู|northeast
40 Khon Kaen|ขอนแก่น|northeast
41 Udon Thani|อุดรธานี|northeast
42 Loei|เลย|northeast
43 Nong Khai|หนองคาย|northeast
44 Maha Sarakham|มหาสารคาม|northeast
45 Roi Et|ร้อยเอ็ด|northeast
46 Kalasin|กาฬสินธุ์|northeast
47 Sakon Nakhon|สกลนคร|northeast
48 Nakhon Phanom|นครพนม|northeast
49 Mukdahan|มุกดาหาร|northeast
50 Chiang Mai|เชียงใหม่|north
51 Lamphun|ลำพูน|north
52 Lampang|ลำปาง|north
53 Uttaradit|อุตรดิตถ์|north
54 Phrae|แพร่|north
55 Nan|น่าน|north
56 Phayao|พะเยา|north
57 Chiang Rai|เชียงราย|north
58 Mae Hong Son|แม่ฮ่องสอน|north
60 Nakhon Sawan|นครสวรรค์|central
61 Uthai Thani|อุทัยธานี|central
62 Kamphaeng Phet|กำแพงเพชร|central
63 Tak|ตาก|west
64 Sukhothai|สุโขทัย|central
65 Phitsanulok|พิษณุโลก|central
66 Phichit|พิจิตร|central
67 Phetchabun|เพชรบูรณ์|central
70 Ratchaburi|ราชบุรี|west
71 Kanchanaburi|กาญจนบุรี|west
72 Suphan Buri|สุพรรณบุรี|central
73 Nakhon Pathom|นครปฐม|central
74 Samut Sakhon|สมุทรสาคร|central
75 Samut Songkhram|สมุทรสงคราม|central
76 Phetchaburi|เพชรบุรี|west
77 Prachuap Khiri Khan|ประจวบคีรีขันธ์|west
80 Nakhon Si Thammarat|นครศรีธรรมราช|south
81 Krabi|กระบี่|south
82 Phangnga|พังงา|south
83 Phuket|ภูเก็ต|south
84 Surat Thani|สุราษฎร์ธานี|south
85 Ranong|ระนอง|south
86 Chumphon|ชุมพร|south
90 Songkhla|สงขลา|south
91 Satun|สตูล|south
92 Trang|ตรัง|south
93 Phatthalung|พัทลุง|south
94 Pattani|ปัตตานี|south
95 Yala|ยะลา|south
96 Narathiwat|นราธิวาส|south
"""


def _parse(table: str) -> tuple[Province, ...]:
    rows = []
    for line in table.strip().splitlines():
        number, rest = line.split(" ", 1)
        name_en, name_th, region = rest.split("|")
        rows.append(Province(f"TH-{number}", name_en, name_th, region))
    return tuple(rows)


PROVINCES: tuple[Province, ...] = _parse(_TABLE)


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


_ALIASES = {"bangkokmetropolis": "TH-10", "krungthep": "TH-10", "กทม": "TH-10"}
_LOOKUP: dict[str, Province] = {}
for _p in PROVINCES:
    for _spelling in (_p.code, _p.code.removeprefix("TH-"), _p.name_en, _p.name_th):
        _LOOKUP[_key(_spelling)] = _p
for _alias, _code in _ALIASES.items():
    _LOOKUP[_key(_alias)] = _LOOKUP[_key(_code)]


def province(text: str) -> Province | None:
    """The province an ISO code, its number, or its English or Thai name stands for."""
    return _LOOKUP.get(_key(text))


def provinces_in(region: str) -> tuple[Province, ...]:
    """The provinces of a region key (``"north"``...); empty for an unknown key."""
    return tuple(p for p in PROVINCES if p.region == region)
