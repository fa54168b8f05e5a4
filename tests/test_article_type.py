"""Article type detection: config.yaml's rules on short articles an editor would file under each type.

Two examples per type, written for these tests (not taken from bench/relevance, which is the test set
for the rules): one in the type's core vocabulary, one told through a personal story or a side topic of
the type (a wedding, a ski trip, a renovation) where the type's words are fewer and other types' words
are around."""

from __future__ import annotations

import pytest

from pipeline.config import Config, TypeRule
from pipeline.ingest import parse_article
from pipeline.ingest.article_type import detect_type, resolve_type, type_scores

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "tech": [
        ("大模型跑进了手机", "今年的旗舰手机都在宣传端侧大模型。芯片厂商把 NPU 的算力翻了一倍，开源模型经过量化后可以离线运行。"),
        ("给家里换了一套万兆网络", "搬家前我重新布了网线，弱电箱里放了交换机和路由器，书房的 NAS 通过光纤接进来。"
         "每个房间都有无线 AP，WiFi 信号终于不再断断续续，电脑之间拷贝文件快了十倍。"),
    ],
    "finance": [
        ("降息之后，存款怎么办", "央行宣布降息，银行存款利率随之下调。不少投资者把钱转向债券基金，也有人关注 A 股的估值。"),
        ("我为什么每个月定投", "工资到账的第二天，我会把一部分钱买入指数基金。坚持定投五年，账户的年化收益并不高，"
         "但它让我学会了不追涨杀跌。复利需要时间，也需要在市场下跌时不卖出。"),
    ],
    "food": [
        ("一碗阳春面", "面条要用猪油和葱花打底，酱油只放一小勺。汤头清，口感爽滑，是最家常的味道，做法也简单。"),
        ("外婆的腌笃鲜", "春笋切滚刀块，咸肉和鲜肉一起下锅，小火炖两个小时。出锅前撒一点盐，不用别的调料，"
         "汤色奶白，一口下去满是春天的鲜味。"),
    ],
    "travel": [
        ("三天两夜的海岛行程", "我们从厦门坐船上岛，住在海边的民宿。景点不多，但沿着环岛路骑行，风景很美，门票也便宜。"),
        ("在京都走路的一周", "这次自由行没有报团，每天从酒店出发，步行去寺庙和老街。清晨的游客少，"
         "傍晚坐电车去岚山看日落，一周下来走了八十公里，比任何攻略都记得清楚。"),
    ],
    "health": [
        ("总是失眠怎么办", "医生说，长期失眠会影响免疫力和血压。睡眠不好的患者先别急着用药，规律作息更重要。"),
        ("体检报告上的几个箭头", "今年体检，尿酸和血脂都偏高。医生建议少喝含糖饮料，每周做三次有氧运动，"
         "三个月后复查。控制体重、减少熬夜，比吃保健品有用得多。"),
    ],
    "education": [
        ("孩子不爱写作业", "很多家长为作业发愁。老师建议，小学阶段先培养孩子的学习习惯，亲子阅读比刷题更有用。"),
        ("写给大一新生", "开学第一周，先弄清楚选课和学分的规则，再去图书馆办好借书证。专业课听不懂不要慌，"
         "多去答疑，期末考试前留出复习时间。大学四年，自学能力比分数更重要。"),
    ],
    "career": [
        ("第一次当管理者", "升职以后，你要学会带团队。和同事一对一沟通，定期汇报，别把绩效面谈拖到年底。离职率是团队健康的信号。"),
        ("辞职做一人公司的第一年", "离开公司后，我一个人接项目、写方案、跟客户谈价格。收入比上班时不稳定，"
         "但时间归自己安排。创业的第一课是算清楚成本，第二课是学会拒绝不合适的甲方。"),
    ],
    "news": [
        ("暴雨后的城市", "昨夜暴雨，多地发布预警。应急管理部门通报，救援队伍已经赶到，受灾居民被安置到社区避难点。"),
        ("航展开幕，新型战机首次公开亮相", "本届航展吸引了四十多个国家的参展商。开幕当天，空军的飞行表演队进行了编队飞行，"
         "新型战斗机和运输机首次在公众面前展示。据主办方介绍，展会期间预计接待观众超过三十万人次。"),
    ],
    "culture": [
        ("苏轼在黄州", "宋朝的苏轼被贬黄州，写下了前后《赤壁赋》。这段历史让他的诗词和书法都走向了新的境界。"),
        ("重看一部老纪录片", "这部纪录片的导演用了十年跟拍一个昆曲剧团。影片里没有旁白，只有排练、演出和后台的聊天，"
         "传统戏曲的式微和坚持都在镜头里。看完我又去找了原著来读。"),
    ],
    "sports": [
        ("一场难忘的决赛", "主场作战的球队在决赛最后一分钟进球，球员们冲向看台。这是俱乐部十年来第一个联赛冠军。"),
        ("第一次去滑雪", "周末和朋友去了郊外的雪场。租好单板和头盔，教练先教我们怎么摔倒，"
         "下午终于能从初级道滑下来。坐缆车上山时，看着雪道上的人，觉得明年一定还要再来。"),
    ],
    "lifestyle": [
        ("一个人住的第三年", "独居久了，越来越享受生活里的仪式感。周末收纳房间，断舍离一些旧物，情绪也跟着变得轻松。"),
        ("给好兄弟当伴郎", "大学室友结婚，我去当伴郎。婚礼前一晚，我们几个在酒店里聊到凌晨，聊起当年的宿舍和暗恋的女生。"
         "第二天接亲、敬酒，新娘哭了，新郎也哭了，我们在台下笑着鼓掌。"),
    ],
    "auto": [
        ("冬天开电动车", "寒潮来了，电动车的续航明显缩水。车主们发现，热泵空调比 PTC 更省电，充电桩前也排起了队。"),
        ("三十岁才去学车", "报了驾校以后，科目一刷题刷了一周。科目二练倒车入库，教练在副驾上一遍遍提醒打方向盘的时机。"
         "拿到驾照那天，我在停车场里绕了三圈才敢开上路。"),
    ],
    "realestate": [
        ("要不要现在买房", "房价连续下跌，首付比例也降了。很多人在二手房和新房之间犹豫，公积金贷款利率更低。"),
        ("老房子装修的三个月", "我们找了一家装修公司，把两室一厅改成了开放式厨房。水电改造花了最多的钱，"
         "瓷砖和地板选了两周。交房那天，站在空空的客厅里，才觉得这套房子真的是自己的了。"),
    ],
}
CASES = [(type_id, title, body) for type_id, examples in EXAMPLES.items() for title, body in examples]


@pytest.mark.parametrize(("type_id", "title", "body"), CASES,
                         ids=[f"{t}-{i % 2}" for i, (t, _, _) in enumerate(CASES)])
def test_each_type_is_detected(cfg: Config, type_id: str, title: str, body: str) -> None:
    article = parse_article(f"# {title}\n\n{body}", cfg, fmt="markdown")
    scores = type_scores(article, cfg)
    assert detect_type(article, cfg) == type_id, sorted(scores.items(), key=lambda ts: -ts[1])[:3]
    assert article.type == type_id


def test_every_type_has_examples(cfg: Config) -> None:
    assert set(EXAMPLES) == set(cfg.article_types.rules)


def test_unrelated_text_is_default_and_score_does_not_grow_with_length(cfg: Config) -> None:
    plain = parse_article("# 随笔\n\n今天下午阳光很好，我在窗边坐了一会儿。", cfg, fmt="markdown")
    assert detect_type(plain, cfg) == "default"
    short = parse_article("# 笔记\n\n" + "股票涨了。" + "窗外下着雨。" * 20, cfg, fmt="markdown")
    long = parse_article("# 笔记\n\n" + "股票涨了。" + "窗外下着雨。" * 2000, cfg, fmt="markdown")
    assert type_scores(long, cfg)["finance"] < type_scores(short, cfg)["finance"]


def test_traditional_text_is_typed_like_simplified(cfg: Config) -> None:
    article = parse_article("# 降息之後\n\n央行宣佈降息，銀行存款利率下調，投資者轉向債券基金。", cfg, fmt="markdown")
    assert article.type == "finance"


def test_type_names_resolve_from_ids_and_labels(cfg: Config) -> None:
    assert resolve_type("education", cfg) == "education"
    assert resolve_type("教育/育儿", cfg) == "education"
    assert resolve_type("育儿", cfg) == "education"
    assert resolve_type("时事", cfg) == "news"
    assert resolve_type("默认", cfg) == "default"
    assert resolve_type("Tech", cfg) == "tech"
    assert resolve_type("太空", cfg) is None


# --- brief 12b: breadth of vocabulary, longest match, operators' rules ------------------------------------

def test_many_words_of_a_type_beat_one_word_repeated(cfg: Config) -> None:
    body = ("孩子" * 1 + "这周末在家做饭。" + "孩子喜欢看我做饭，孩子在旁边递盘子，孩子还帮忙洗菜，孩子很开心。" * 3
            + "五花肉切块焯水，加生抽、老抽和冰糖，小火炖一个小时，出锅前大火收汁，红烧肉软糯入味。")
    article = parse_article(f"# 周末\n\n{body}", cfg, fmt="markdown")
    assert article.type == "food"                      # 孩子 ×13 is one education word; the recipe is many


def test_a_longer_word_is_not_also_the_word_inside_it(cfg: Config) -> None:
    article = parse_article("# 周末\n\n骑自行车去公园，自行车道很宽，自行车停在门口。", cfg, fmt="markdown")
    assert type_scores(article, cfg)["auto"] == 0        # 车 (auto) is inside 自行车 each time
    assert type_scores(article, cfg)["sports"] > 0


def test_english_rule_words_match_whole_words(cfg: Config) -> None:
    article = parse_article("# 笔记\n\nSailing again this summer. Emails piled up.", cfg, fmt="markdown")
    assert type_scores(article, cfg)["tech"] == 0        # no AI in Sailing or Emails


def test_operators_rules_win(cfg: Config) -> None:
    text = "# 我家的猫\n\n猫砂盆要每天清理，猫粮换了新牌子，猫抓板又被抓坏了。"
    assert parse_article(text, cfg, fmt="markdown").type == "lifestyle"
    cfg.article_types.rules["pets"] = TypeRule(label="宠物", keywords={"猫": 3, "猫砂盆": 3, "猫抓板": 3})
    assert parse_article(text, cfg, fmt="markdown").type == "pets"
    cfg.article_types.rules["lifestyle"] = TypeRule(label="情感/生活方式", keywords={"猫": 10})
    assert parse_article(text, cfg, fmt="markdown").type == "lifestyle"
