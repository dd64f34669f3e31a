"""The seed scale's applications as an import table: 3,500 projects of about 3,000 organisations in 江苏省's
13 cities, made up from word lists with a fixed random seed, so every run builds the same fair."""
import random
from datetime import datetime, timedelta

from fair.applications.spreadsheet import COLUMNS
from fair.auth import credit_code
from fair.times import to_local

PROVINCE = "江苏省"
# City: (share of applicants, prefecture code for credit codes, districts)
CITIES = {
    "南京市": (14, "3201", ["玄武区", "秦淮区", "建邺区", "鼓楼区", "浦口区", "栖霞区", "雨花台区", "江宁区"]),
    "无锡市": (9, "3202", ["梁溪区", "滨湖区", "新吴区", "锡山区", "惠山区", "江阴市", "宜兴市"]),
    "徐州市": (8, "3203", ["云龙区", "鼓楼区", "泉山区", "铜山区", "贾汪区", "邳州市", "新沂市"]),
    "常州市": (7, "3204", ["天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市"]),
    "苏州市": (15, "3205", ["姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "昆山市", "常熟市", "张家港市", "太仓市"]),
    "南通市": (8, "3206", ["崇川区", "通州区", "海门区", "如皋市", "启东市", "海安市"]),
    "连云港市": (5, "3207", ["海州区", "连云区", "赣榆区", "东海县", "灌云县"]),
    "淮安市": (5, "3208", ["清江浦区", "淮安区", "淮阴区", "洪泽区", "涟水县"]),
    "盐城市": (7, "3209", ["亭湖区", "盐都区", "大丰区", "东台市", "射阳县"]),
    "扬州市": (6, "3210", ["广陵区", "邗江区", "江都区", "仪征市", "高邮市"]),
    "镇江市": (5, "3211", ["京口区", "润州区", "丹徒区", "丹阳市", "句容市"]),
    "泰州市": (6, "3212", ["海陵区", "高港区", "姜堰区", "兴化市", "靖江市", "泰兴市"]),
    "宿迁市": (5, "3213", ["宿城区", "宿豫区", "沭阳县", "泗阳县", "泗洪县"]),
}
# Kind label: (share, first two characters of the credit code, name endings)
KINDS = {
    "志愿服务组织": (62, "51", ["志愿服务队", "志愿者协会", "志愿服务中心", "志愿者联合会"]),
    "社工机构": (24, "52", ["社会工作服务中心", "社工事务所", "社会工作服务社"]),
    "慈善基金会": (5, "53", ["慈善基金会", "公益基金会"]),
    "爱心企业": (5, "91", ["科技有限公司", "实业有限公司", "商贸有限公司"]),
    "政府单位": (4, "11", ["团委", "社区居民委员会", "志愿服务指导中心"]),
}
BRANDS = ["夕阳红", "暖阳", "同心", "向阳花", "益起来", "春晖", "红枫", "蓝天", "绿色家园", "萤火虫", "微光", "彩虹",
          "启明星", "润泽", "和美", "邻里情", "心连心", "青春", "爱满", "善行", "映山红", "石榴籽", "长江", "运河",
          "紫金", "金陵", "太湖", "梅园", "银杏", "小桔灯", "手拉手", "大爱", "海燕", "白鹭", "雨花", "清风"]
# Category: (themes, what the project does, whom it serves)
THEMES = {
    "助老": (["银龄食堂", "时间银行", "老年人智能手机课堂", "居家养老探访", "认知症友好社区", "长者生日会",
              "助浴助洁", "老年大学", "空巢老人陪伴", "适老化改造", "爱心助老", "助老护理站"],
             ["组织助老志愿者上门送餐与陪餐", "定期入户探访并建立健康档案", "手把手教老人使用手机与防范诈骗"],
             ["独居与高龄老人", "空巢老人", "失能半失能老人"]),
    "助残": (["无障碍观影", "残障青年就业辅导", "心智障碍儿童融合", "盲人阅读", "手语课堂", "助残康复",
              "轮椅出行", "特奥运动"],
             ["陪伴康复训练", "开展职业技能培训与岗位对接", "组织无障碍文体活动"],
             ["残障人士及其家庭", "心智障碍青少年", "视障、听障朋友"]),
    "青少年": (["四点半课堂", "留守儿童陪伴", "青少年科普", "阅读推广", "假期托管", "心理健康护航", "非遗进校园",
                "防溺水安全教育"],
               ["放学后提供作业辅导与兴趣活动", "开展科学实验与阅读分享", "组织心理辅导与安全教育"],
               ["外来务工人员子女", "农村留守儿童", "中小学生"]),
    "环保": (["河道守护", "垃圾分类宣传", "湿地观鸟", "旧衣回收", "无废社区", "植树护绿", "长江大保护",
              "低碳生活倡导"],
             ["定期巡河清理并监测水质", "入户宣传垃圾分类并设点督导", "组织植树与生态科普"],
             ["社区居民", "中小学生与家庭", "沿河村镇居民"]),
    "社区治理": (["邻里议事会", "楼道自治", "社区微更新", "新市民融入", "物业纠纷调解", "平安巡逻",
                  "社区睦邻节", "网格志愿服务"],
                 ["搭建居民议事平台协商解决小区难题", "组织志愿者参与网格巡查与调解", "开展邻里互助活动"],
                 ["老旧小区居民", "新市民", "社区居民"]),
    "应急救援": (["应急救护培训", "水上救援", "防灾减灾宣传", "社区应急队", "山地搜救", "消防安全进万家",
                  "AED 普及"],
                 ["开展心肺复苏与 AED 使用培训", "组建应急队伍参与防汛抢险", "入户排查安全隐患"],
                 ["社区居民与学生", "企业员工", "沿江沿湖村镇居民"]),
    "文化": (["非遗传承", "社区书房", "戏曲进社区", "红色故事宣讲", "博物馆讲解", "传统节日活动", "乡村文艺"],
             ["组织讲解与展演", "开设公益课堂传授传统技艺", "举办社区文化活动"],
             ["社区居民", "青少年", "乡村群众"]),
    "医疗健康": (["慢病健康管理", "义诊进乡村", "心理援助热线", "母婴健康", "无偿献血宣传", "安宁疗护陪伴",
                  "健康科普"],
                 ["组织医护志愿者下乡义诊", "提供心理疏导与热线援助", "开展健康讲座与随访"],
                 ["农村群众", "慢病患者", "孕产妇与新生儿家庭"]),
    "扶贫济困": (["困难家庭帮扶", "爱心助学", "乡村振兴帮扶", "临时救助", "爱心超市", "助农直播"],
                 ["结对帮扶并链接救助资源", "资助困难学生完成学业", "帮助农户拓宽农产品销路"],
                 ["困难家庭", "家庭经济困难学生", "农村低收入户"]),
    "其他": (["志愿服务站点建设", "志愿者能力培训", "公益创投孵化", "企业志愿服务"],
             ["培训志愿骨干并规范服务流程", "孵化社区公益项目"],
             ["志愿者与志愿服务组织", "社区社会组织"]),
}
FORMS = ["志愿服务项目", "公益行动", "服务计划", "志愿服务", "关爱行动"]
SUPPORTS = ["资金", "物资", "志愿者", "场地", "专业服务"]
APPLICATIONS = 3_500
ORGANISATIONS = 3_000
DRAFTS = 220                    # started by applicants who never submitted


def _pick(rng: random.Random, weighted: dict) -> str:
    names = list(weighted)
    return rng.choices(names, weights=[weighted[name][0] for name in names])[0]


def _credit_code(rng: random.Random, prefix: str, prefecture: str, serial: int) -> str:
    """A valid code: registration authority and kind, the region, a unique body, the check character."""
    alphabet = credit_code.ALPHABET
    body = "".join(rng.choice(alphabet[:10]) for _ in range(3)) + f"{serial:05d}" + rng.choice(alphabet)
    first17 = f"{prefix}{prefecture}00{body}"
    return first17 + credit_code.check_character(first17)


def _organisations(rng: random.Random) -> list[dict]:
    organisations, names = [], set()
    while len(organisations) < ORGANISATIONS:
        city = _pick(rng, CITIES)
        _share, prefecture, districts = CITIES[city]
        kind = _pick(rng, KINDS)
        district = rng.choice(districts)
        name = f"{city}{district}{rng.choice(BRANDS)}{rng.choice(KINDS[kind][2])}"
        if name in names:
            continue
        names.add(name)
        organisations.append({
            "organisation_name": name, "organisation_kind": kind, "province": PROVINCE, "city": city,
            "district": district, "contact_name": rng.choice("王李张刘陈杨赵黄周吴") + rng.choice("静明敏磊芳军燕涛"),
            "contact_phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "credit_code": _credit_code(rng, KINDS[kind][1], prefecture, len(organisations) + 1),
        })
    return organisations


def _project(rng: random.Random, organisation: dict, category: str, taken: set) -> dict:
    themes, activities, targets = THEMES.get(category, THEMES["其他"])
    while True:
        brand = rng.choice(BRANDS)
        title = rng.choice([f"“{brand}”{rng.choice(themes)}{rng.choice(FORMS)}",
                            f"{organisation['district']}{rng.choice(themes)}{rng.choice(FORMS)}",
                            f"{rng.choice(themes)}“{brand}”{rng.choice(FORMS)}"])
        if (organisation["organisation_name"], title) not in taken:
            taken.add((organisation["organisation_name"], title))
            break
    years = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12])
    target = rng.choice(targets)
    return {
        "title": title, "category": category,
        "summary": f"面向{organisation['city']}{organisation['district']}的{target}，{rng.choice(activities)}，"
                   f"由{rng.randint(2, 40)}支志愿小分队分片包干、常态化开展。",
        "service_targets": target, "beneficiaries": rng.choice([rng.randint(30, 500), rng.randint(500, 20_000)]),
        "volunteers": rng.randint(5, 600), "years_running": years,
        "past_outcomes": f"已连续开展{years}年，累计服务{rng.randint(1, 90) * 100}人次。" if years else "",
        "funding_need": rng.choices([0, rng.randint(5, 500) * 1_000, rng.randint(50, 3_000) * 100], [1, 5, 4])[0],
        "support_wanted": "、".join(rng.sample(SUPPORTS, rng.randint(1, 3))),
        "booth_size": "双展位" if rng.random() < 0.08 else "标准展位",
        "needs_power": "是" if rng.random() < 0.45 else "否", "needs_step_free": "是" if rng.random() < 0.1 else "否",
    }


def seed_table(categories: list[str], opens_at: datetime, closes_at: datetime, timezone: str, *,
               submitted: int = APPLICATIONS) -> list[list]:
    """The import table (headings first) of the seed's applications: `submitted` submitted inside the window,
    and DRAFTS more that were started and never submitted (received applications count only the former)."""
    rng = random.Random(2026)
    organisations = _organisations(rng)
    owners = organisations[:submitted] + [rng.choice(organisations) for _ in range(submitted - ORGANISATIONS)]
    weights = [3 if name in ("助老", "青少年", "社区治理") else 2 if name in ("助残", "环保", "应急救援") else 1
               for name in categories]
    window = (closes_at - opens_at).total_seconds()
    taken: set = set()
    rows = []
    drafters = [rng.choice(organisations) for _ in range(DRAFTS)]
    for number, organisation in enumerate(owners + drafters):
        row = {**organisation, **_project(rng, organisation, rng.choices(categories, weights)[0], taken)}
        is_submitted = number < submitted
        row["status"] = "已提交" if is_submitted else "草稿"
        # Applicants hurry near the deadline: later times are likelier.
        at = opens_at + timedelta(seconds=window * rng.random() ** 0.5)
        row["submitted_at"] = to_local(at, timezone).strftime("%Y-%m-%d %H:%M:%S") if is_submitted else ""
        rows.append(row)
    return [[column.header for column in COLUMNS]] + [[row.get(column.key, "") for column in COLUMNS] for row in rows]
