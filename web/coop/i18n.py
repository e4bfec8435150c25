"""Chinese first, English on request: ``?lang=en`` (kept in a cookie) or the switch.

Messages are keyed by their English text; a key missing here shows in English.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "appletrace_lang"

ZH: dict[str, str] = {
    "appletrace": "昭通苹果溯源",
    "Sign in": "登录",
    "Sign out": "退出",
    "Username": "用户名",
    "Password": "密码",
    "New password": "新密码",
    "Change password": "修改密码",
    "Wrong username or password.": "用户名或密码错误。",
    "Dashboard": "概览",
    "Orchards": "果园",
    "Orchard": "果园",
    "Devices": "设备",
    "Device": "设备",
    "Lots": "批次",
    "Lot": "批次",
    "Inspections": "检测",
    "Inspection": "检测",
    "Label runs": "标签批次",
    "Label run": "标签批次",
    "Recalls": "召回",
    "Recall": "召回",
    "Shipments": "发货",
    "Shipment": "发货",
    "Import": "批量导入",
    "Members": "成员",
    "API tokens": "API 令牌",
    "Add": "添加",
    "Save": "保存",
    "Edit": "编辑",
    "Cancel": "取消",
    "Code": "编号",
    "Name": "名称",
    "County": "县区",
    "Township": "乡镇",
    "Village": "村",
    "Latitude": "纬度",
    "Longitude": "经度",
    "Altitude (m)": "海拔（米）",
    "Variety": "品种",
    "Kind": "类型",
    "Active": "启用",
    "Inactive": "停用",
    "Switch off": "停用",
    "Switch on": "启用",
    "Register device": "登记设备",
    "Device id": "设备编号",
    "New password for the broker": "重新生成密码",
    "Broker credentials": "MQTT 连接信息",
    "MQTT username": "MQTT 用户名",
    "One-time password": "一次性密码",
    "Topic": "主题",
    "Broker ACL lines": "代理 ACL 配置",
    "This password is shown once. Write it into the device now.": (
        "此密码只显示一次，请立即写入设备。"
    ),
    "Register lot": "登记批次",
    "Lot code": "批次号",
    "Growing window starts": "生长期开始",
    "Harvest date": "采收日期",
    "Quantity (kg)": "数量（公斤）",
    "Grade": "等级",
    "Status": "状态",
    "Growing summary": "生长概况",
    "Season chart": "生长季图表",
    "Daily low to high temperature; sunshine hours below.": (
        "每日最低到最高气温；下方为日照时数。"
    ),
    "Days with readings": "有数据的天数",
    "Diurnal range": "昼夜温差",
    "Sunshine": "日照",
    "Air quality": "空气质量",
    "No readings yet in the growing window.": "生长期内暂无传感器数据。",
    "Share with packing house": "共享给包装厂",
    "Shared with": "已共享给",
    "Stop sharing": "取消共享",
    "Add inspection": "添加检测",
    "Lab": "检测机构",
    "Test date": "检测日期",
    "Passed": "合格",
    "Failed": "不合格",
    "Result": "结果",
    "Residues": "农残结果",
    "One line per finding: substance, mg/kg, limit mg/kg": (
        "每行一项：农药名称, 检出量 mg/kg, 限量 mg/kg"
    ),
    "Report file (PDF, PNG or JPEG)": "检测报告（PDF、PNG 或 JPEG）",
    "Report": "报告",
    "Notes": "备注",
    "Reason": "原因",
    "Recall a lot or a label run": "召回批次或标签批次",
    "Whole lot": "整个批次",
    "Leave empty to recall the whole lot.": "留空则召回整个批次。",
    "Short address (without the lot)": "短地址（不含批次号）",
    "Labels": "标签",
    "Issued": "已发放",
    "Replace them with new labels": "并补发新标签",
    "Void": "作废",
    "Download": "下载",
    "Recalled": "已召回",
    "Lifted": "已撤销",
    "Lift recall": "撤销召回",
    "Where it went": "流向",
    "Consignee": "收货方",
    "Destination": "目的地",
    "Shipping date": "发货日期",
    "New shipment": "新建发货",
    "Lots on it (one per line: code, kg)": "所含批次（每行一个：批次号, 公斤）",
    "Shipped by": "发货方",
    "File (CSV or XLSX)": "文件（CSV 或 XLSX）",
    "What": "内容",
    "Preview": "预览",
    "Import the good rows": "导入无误的行",
    "Row": "行",
    "Problem": "问题",
    "rows can be imported": "行可导入",
    "rows have problems and will be left out": "行有问题，将被跳过",
    "Imported": "已导入",
    "Role": "角色",
    "Display name": "显示名称",
    "Add member": "添加成员",
    "New token": "新建令牌",
    "Revoke": "吊销",
    "Revoked": "已吊销",
    "This token is shown once. Copy it now.": "此令牌只显示一次，请立即复制。",
    "Nothing here yet.": "暂无记录。",
    "Certificates": "承诺达标合格证",
    "Issue certificate": "开具合格证",
    "Basis": "承诺依据",
    "Inspection id (for a test basis)": "检测记录编号（检测依据时填写）",
    "Shipment id (one load only)": "发货记录编号（按车开具时填写）",
    "Default: the whole lot": "默认：整个批次",
    "Please check this field.": "请检查此项。",
    "Saved.": "已保存。",
    "admin": "管理员",
    "farmer": "果农",
    "packer": "包装工",
    "auditor": "审核员（只读）",
    "coop": "合作社",
    "packing_house": "包装厂",
    "growing": "生长中",
    "harvested": "已采收",
    "packed": "已包装",
    "shipped": "已发货",
    "recalled": "已召回",
    "Count": "数量",
    "GTIN": "商品条码 GTIN",
    "Create label run": "创建标签批次",
    "Download PDF": "下载 PDF",
    "Download ZPL": "下载 ZPL",
    "Reprint labels": "补打标签",
    "From label": "起始标签",
    "To label": "结束标签",
    "Void damaged labels": "作废损坏标签",
    "Label numbers (e.g. 3, 7-9)": "标签序号（如 3, 7-9）",
    "Voided": "已作废",
    "Template": "模板",
    "Created": "创建时间",
}


def choose_language() -> None:
    """Pick the page language: ?lang=, then the cookie, then Chinese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.lang = asked
        g.lang_changed = True
        return

    cookie = request.cookies.get(LANG_COOKIE)
    g.lang = cookie if cookie in LANGUAGES else "zh"


def translate(text: str) -> str:
    """The text in the page language."""
    if g.get("lang", "zh") == "zh":
        return ZH.get(text, text)

    return text


def remember_language(response: Response) -> Response:
    """Keep a language asked for with ?lang= in a cookie (never on public pages).

    The consumer page and the resolver set no cookie: they choose the language
    on every request from ?lang= and Accept-Language.
    """
    if g.get("lang_changed") and request.blueprint != "resolver":
        response.set_cookie(
            LANG_COOKIE, g.lang, max_age=365 * 86400, samesite="Lax", secure=True
        )

    return response


def install(app: Flask) -> None:
    """Install the language hooks and ``_`` in templates."""
    app.before_request(choose_language)
    app.after_request(remember_language)
    app.jinja_env.globals["_"] = translate
