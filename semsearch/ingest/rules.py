"""The rules that tell page furniture from article text, written as data.

Each pattern is a known kind of page furniture (share-site banners, copyright notices,
navigation, advertisements, captions, page numbers, bylines, metadata labels), written as a
pattern of the kind, not of a seed's sentence; docs/cleaning.md lists them with examples.
:data:`LINE_RULES` says which pattern removes a line on its own, for what reason, and on which
lines it may act: rules apply to short lines only, so body paragraphs that merely mention such
words survive. The patterns are written in simplified characters; lines are judged in their
simplified form, so a traditional article (來源, 發布時間, 當前位置…) is read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from semsearch.text import ends_sentence, has_strong_end_mark, to_simplified

#: Longest line the "short line" rules (navigation words, ads, captions, metadata) apply to.
SHORT_LINE_CHARS = 60

SHARE_SITE = re.compile(
    r"由会员分享|可在线阅读|珍藏版|请在.{0,12}上搜索|免费下载|下载积分|文档格式[:：]|"
    r"文档分享平台|下载后可编辑|本文档由"
)
SHARE_SITE_TITLE = re.compile(
    r"《(.+?)\.(?:docx?|pdf|pptx?|wps|txt|xlsx?)(?:\(\d+页[^)》]*\))?》", re.IGNORECASE
)
COPYRIGHT = re.compile(
    r"^(?:版权声明|版权所有|免责声明|著作权归|Copyright|©|\(c\)\s*\d{4})|"
    r"转载请注明|未经(?:许可|授权|书面授权).{0,12}(?:转载|使用|复制)|"
    r"(?:如有|如内容|若有|涉嫌)侵权|侵权.{0,8}删除|本站(?:所有)?(?:文章|内容).{0,12}来(?:自|源)",
    re.IGNORECASE,
)
NAVIGATION = re.compile(
    r"^(?:当前位置|您的位置|你的位置|您现在的位置|所在位置|当前页面|位置)\s*[:：>»]|"
    r"^首页\s*[>»›/|]|(?:\s[>»›]\s*\S+){2,}|"
    r"^(?:分享到|分享至|分享本文|转发到|收藏本文)|"
    r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页)\s*[:：]?|"
    r"ICP[备证]|ICP\s*\d|公网安备|网安备|网络文化经营许可证|"
    r"^(?:扫一扫|微信扫一扫|扫描二维码|扫码|长按(?:识别)?二维码|关注我们|点击关注|手机看新闻)|"
    r"字号\s*[:：]?\s*[\[【]?\s*大|【\s*(?:打印|关闭|收藏|字体)|"
    r"^(?:https?://|www\.)\S+$|"
    r"^(?:主办|承办|协办|技术支持|主管|网站维护|联系电话|投稿邮箱)\s*[:：]|主办\s*$",
    re.IGNORECASE,
)
NAVIGATION_WORDS = frozenset(
    re.split(
        r"\s+",
        "相关推荐 相关阅读 相关新闻 相关文章 推荐阅读 热门推荐 热门文章 延伸阅读 猜你喜欢 "
        "友情链接 网站地图 联系我们 关于我们 返回顶部 返回首页 返回列表 打印本页 关闭窗口 "
        "打印 关闭 收藏 分享 评论 点赞 登录 注册 更多 首页 加入收藏 设为首页",
    )
)
ADVERTISEMENT = re.compile(
    r"交易所|比特币|以太坊|币安|火币|欧易|OKX|Binance|HTX|Coinbase|Bybit|Bitget|币圈|"
    r"数字货币|虚拟货币|加密货币|合约交易|博彩|娱乐城|棋牌|彩票|下载APP|APP下载|立即下载|"
    r"注册送|^广告$|^推广$",
    re.IGNORECASE,
)
CAPTION = re.compile(
    r"^(?:资料图|资料图片|图片|图为|图注|配图|题图|摄影|供图)[。.:：\s]|"
    r"^(?:资料图|资料图片|图片|图为|配图)$|"
    r"(?:摄|摄影|供图|图片由.{1,20}提供|图片来源.{0,20}|图片来自.{0,20})$|"
    r"图片除署名外|本(?:版|文)图片|\(?图片来源|\(图\)$|（图）$"
)
FILE_NAME = re.compile(
    r"^[^\s。，,]{0,80}\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg|heic|docx?|pdf|xlsx?|pptx?|mp4|"
    r"mp3|wav|zip|rar)$",
    re.IGNORECASE,
)
LONG_DIGITS = re.compile(r"\d{12,}")
PAGE_NUMBER = re.compile(
    r"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|"
    r"\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
PAGE_MARKER = re.compile(r"^(\d{1,3})、")
BYLINE = re.compile(
    r"^[□■]\s*(?P<mark>[\u3400-\u9fff·• ]{2,30})$|"
    r"^[(（]?\s*(?:本报|本台|本刊|本网)?(?:特约)?(?:记者|通讯员|实习生)\s*(?P<reporter>[^\d].*?)[)）]?$|"
    r"^[(（]?\s*(?:责任编辑|责编|编辑|校对|审核|审校|监制|终审|值班编辑|美编|作者)\s*[:：]"
    r"\s*(?P<labelled>.+?)[)）]?$"
)
META_LABELS = (
    r"发布时间|发布日期|发表时间|发表日期|更新时间|时间|日期|来源|稿源|作者|编辑|责任编辑|责编|"
    r"阅读|阅读量|阅览|浏览|浏览量|点击|点击数|字号|访问量"
)
META_LABEL = re.compile(rf"(?:^|\s|[|丨])(?:{META_LABELS})\s*[:：]")
VIEW_COUNT = re.compile(r"(?:阅览|阅读|浏览|点击)\s*[:：]?\s*\d+\s*次?|\d+\s*次(?:阅读|浏览)")
SUMMARY_LABEL = re.compile(r"^(?:摘要|内容摘要|内容提要|提要|导读|核心提示|导语)\s*[:：]\s*")
TRAILING_ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{2,})$")

# Dates: ISO-like and Chinese forms; a label before one marks a publication date.
DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]\s*(?P<m1>\d{1,2})\s*[-/.]\s*(?P<d1>\d{1,2})(?!\d)"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日)"
)
DATE_LABEL = re.compile(r"(?:发布时间|发布日期|发表时间|发表日期|更新时间|时间|日期)\s*[:：]\s*$")
TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
WEEKDAY = re.compile(r"星期[一二三四五六日天]|周[一二三四五六日]")
SOURCE = re.compile(r"(?:来源|稿源)\s*[:：]\s*(?P<value>[^\s|丨,，;；)）]+)")
AUTHOR = re.compile(r"作者\s*[:：]\s*(?P<value>[^\s|丨,，;；)）]+)")

#: A list bullet or quote mark at a line start, ignored when a line is judged.
LIST_BULLET = re.compile(r"^[•·●▪◆■*>\-\s]+")


@dataclass
class Line:
    """A non-blank line of a file while it is cleaned.

    Attributes:
        no: 1-based line number in the extracted text.
        text: The line, stripped (a page marker or glued headline may be cut from it).
        reason: Why it is removed (a :class:`~semsearch.ingest.document.RemovedLine` reason),
            or None while it is kept.
    """

    no: int
    text: str
    reason: str | None = None


@dataclass(frozen=True)
class LineRule:
    """A rule that removes a line judged on its own.

    Attributes:
        reason: The removal reason it gives.
        max_chars: It applies only to lines at most this long (None: any length).
        matches: The test on the line (bullets and surrounding spaces removed).
        unless_sentence_end: It does not apply to a line that ends a sentence.
        unless_sentence_mark: It does not apply to a line holding 。！？ (or !?) anywhere.
    """

    reason: str
    max_chars: int | None
    matches: Callable[[str], object]
    unless_sentence_end: bool = False
    unless_sentence_mark: bool = False

    def applies_to(self, bare: str) -> bool:
        """Whether the rule removes this line.

        Args:
            bare: The line without list bullets, stripped.

        Returns:
            True when the line is within the rule's reach and its test matches.
        """
        if self.max_chars is not None and len(bare) > self.max_chars:
            return False
        if self.unless_sentence_end and ends_sentence(bare):
            return False
        if self.unless_sentence_mark and has_strong_end_mark(bare):
            return False
        return bool(self.matches(bare))


def is_metadata_line(line: str) -> bool:
    """Whether a line is a date / source / author / view-count line.

    Args:
        line: The line.

    Returns:
        True for a labelled line without a sentence, a view counter, or a date with at most
        8 other characters (time, weekday, a counter).
    """
    if META_LABEL.search(" " + line) and not re.search(r"[。！？]", line):
        return True
    if VIEW_COUNT.search(line) and len(line) <= 80:
        return True
    if DATE.search(line):
        rest = DATE.sub("", line)
        rest = TIME.sub("", rest)
        rest = WEEKDAY.sub("", rest)
        rest = re.sub(r"[\d\s:：|丨/\-]", "", rest)
        return len(rest) <= 8
    return False


def is_menu(line: str) -> bool:
    """Whether a line is a menu: four or more short items separated by spaces, | or /.

    Args:
        line: The line.

    Returns:
        True for a menu line.
    """
    parts = [part for part in re.split(r"[\s|丨/]+", line) if part]
    return len(parts) >= 4 and all(len(part) <= 6 for part in parts)


def _is_navigation_word(bare: str) -> bool:
    return bare.rstrip(":：") in NAVIGATION_WORDS


#: The single-line rules, in the order they are tried; the first that applies names the reason.
LINE_RULES: tuple[LineRule, ...] = (
    LineRule("share-site header", 400, SHARE_SITE.search),
    LineRule("copyright", 200, COPYRIGHT.search),
    LineRule("navigation", 120, NAVIGATION.search),
    LineRule("page marker", None, PAGE_NUMBER.match),
    LineRule("navigation", SHORT_LINE_CHARS, _is_navigation_word),
    LineRule("advertisement", SHORT_LINE_CHARS, ADVERTISEMENT.search, unless_sentence_end=True),
    LineRule("caption", 100, FILE_NAME.match),
    # Photo ids and timestamps such as "(3996795)-20231114083549".
    LineRule("caption", 100, LONG_DIGITS.search, unless_sentence_end=True),
    LineRule("caption", 80, CAPTION.search, unless_sentence_end=True),
    LineRule("byline", SHORT_LINE_CHARS, BYLINE.match, unless_sentence_mark=True),
    LineRule("metadata", 150, is_metadata_line, unless_sentence_end=True),
    LineRule("navigation", SHORT_LINE_CHARS, is_menu, unless_sentence_mark=True),
)


def classify_line(text: str) -> str | None:
    """Return the removal reason for a line judged on its own, or None to keep it.

    Args:
        text: The line, in either script.

    Returns:
        The reason of the first rule in :data:`LINE_RULES` that applies (``navigation`` for a
        line of bullets only), or None.
    """
    bare = LIST_BULLET.sub("", to_simplified(text)).strip()
    if not bare:
        return "navigation"
    for rule in LINE_RULES:
        if rule.applies_to(bare):
            return rule.reason
    return None
