"""Chinese labels for collections, fields and enumeration values.

Used wherever people rather than programs read or write facts: feature files,
spreadsheets, tables. Enumeration labels are the ones ``spec/facts.md`` gives in
brackets; the rest follow the regulation's wording.
"""

from __future__ import annotations

COLLECTION_LABELS: dict[str, str] = {
    "commission": "区经济信息委",
    "suppliers": "供电供气企业",
    "areas": "辖区",
    "outlets": "服务网点",
    "outlet_days": "网点营业日",
    "outlet_inspections": "网点抽查",
    "staff": "员工",
    "staff_checks": "员工检查",
    "appointments": "上门服务",
    "appointment_changes": "上门服务变更",
    "proxy_services": "帮办代办",
    "disclosures": "公开事项",
    "business_services": "业务事项",
    "applications": "业务申请",
    "inquiries": "咨询",
    "complaints": "投诉",
    "surveys": "满意度调查",
    "assessments": "监督考核",
}

#: field key -> Chinese label, shared across collections (a key means the same everywhere)
FIELD_LABELS: dict[str, str] = {
    "id": "编号",
    "name": "名称",
    "supplier_id": "企业编号",
    "area_id": "辖区编号",
    "outlet_id": "网点编号",
    "staff_id": "员工编号",
    "appointment_id": "上门服务编号",
    "utility": "业务类型",
    "hotline": "服务热线",
    "hotline_published": "热线已公开",
    "hotline_accepts": "热线受理内容",
    "one_stop_info": "一站式服务内容",
    "service_systems": "服务制度",
    "supervision_phone": "监督电话",
    "kind": "网点类型",
    "transport_accessible": "交通方便",
    "signage_uniform": "标志统一",
    "signage_visible": "标志明显",
    "opens": "开门时间",
    "closes": "关门时间",
    "date": "日期",
    "scheduled_open": "规定开门时间",
    "opened_at": "实际开门时间",
    "safe": "安全",
    "clean": "整洁",
    "notes": "备注",
    "role": "岗位",
    "customer_facing": "直接面对用户",
    "trained": "已培训",
    "certified": "持证",
    "certificate_no": "证书编号",
    "certificate_valid_until": "证书有效期至",
    "at": "时间",
    "uniform": "着工作制服",
    "badge": "佩戴统一标示",
    "id_card": "携带证章",
    "customer": "用户",
    "booked_at": "预约时间",
    "scheduled_start": "约定上门时间",
    "arrived_at": "实际到达时间",
    "status": "状态",
    "by": "变更方",
    "reason": "理由",
    "from_start": "原定时间",
    "to_start": "改为时间",
    "customer_notified_at": "告知用户时间",
    "customer_agreed": "用户同意",
    "customer_consent": "用户同意代办",
    "item": "公开事项",
    "published": "已公开",
    "published_on": "公开日期",
    "channel": "渠道",
    "value": "公开内容",
    "business_type": "业务",
    "procedure_published": "流程已公开",
    "conditions_published": "条件已公开",
    "time_limit": "时限",
    "time_limit_unit": "时限单位",
    "submitted_at": "提交时间",
    "completed_at": "办结时间",
    "first_responder": "首问责任人",
    "within_scope": "属于服务范围",
    "reason_explained": "已告知原因",
    "handed_over": "已转交",
    "followed_up": "已跟进",
    "resolved": "已解决",
    "received_at": "受理时间",
    "phone_line": "来电号码",
    "category": "投诉类别",
    "concerns": "涉及",
    "major": "重大事项",
    "written_record": "书面记录",
    "verified_at": "核实时间",
    "rectified_at": "整改时间",
    "replied_at": "回复时间",
    "reported_at": "上报时间",
    "substantiated": "属实",
    "period_start": "调查开始",
    "period_end": "调查结束",
    "respondents": "受访人数",
    "satisfied": "满意人数",
    "methods": "考核方式",
    "score": "得分",
}

#: derived fields and ``as_of`` (read, never written: not in :data:`FIELD_LABELS`, whose
#: labels are spreadsheet headers read back by :func:`field_for_label`)
DERIVED_LABELS: dict[str, str] = {
    "first_start": "首次约定上门时间",
    "satisfied_x100": "满意人数",
    "as_of": "评估时间",
}


def field_label(name: str) -> str:
    """The Chinese label of a field key (the key itself if it has none)."""
    return FIELD_LABELS.get(name) or DERIVED_LABELS.get(name, name)


#: enumeration value -> Chinese label (values are unique across enumerations)
VALUE_LABELS: dict[str, str] = {
    "electricity": "供电",
    "gas": "供气",
    "both": "供电供气",
    "enquiry": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "scope": "业务受理范围",
    "procedures": "办事程序",
    "time_limits": "受理时限",
    "commitments": "服务承诺",
    "complaint_phone": "投诉电话",
    "first_inquiry": "首问负责制",
    "time_limited": "限时办结制",
    "proxy": "帮办代办制",
    "personalised": "个性服务制",
    "own": "自有",
    "bank": "银行",
    "partner": "其它代办网点",
    "counter": "窗口",
    "customer_service": "客服",
    "meter_reader": "抄表",
    "construction": "施工",
    "maintenance": "维修",
    "other": "其它",
    "scheduled": "已预约",
    "completed": "已完成",
    "cancelled": "已取消",
    "supplier": "企业",
    "customer": "用户",
    "policies_laws": "执行的政策法律法规",
    "statutory_obligations": "主要法定义务",
    "service_rules": "服务管理制度",
    "service_commitments": "服务承诺制度",
    "complaint_rules": "服务投诉处理制度",
    "accountability_rules": "服务责任问责制度",
    "outlet_hours": "网点营业时间",
    "service_phone": "服务电话",
    "supervision_phone": "监督电话",
    "working_days": "工作日",
    "days": "天",
    "hours": "小时",
    "oral": "口头",
    "phone": "电话",
    "written": "书面",
    "supply_quality": "供电供气质量",
    "billing": "营业收费",
    "counter_service": "营业服务",
    "complaint_handling": "投诉处理",
    "internal": "企业内部服务管理",
    "sector": "行业服务管理",
    "records": "查看原始记录",
    "spot_check": "现场抽样检查",
    "survey": "用户满意度调查",
}

STATUS_LABELS: dict[str, str] = {
    "pass": "合规",
    "fail": "不合规",
    "insufficient_data": "数据不足",
    "not_applicable": "不适用",
    "waived": "已豁免",
}

TRUE_WORDS = frozenset({"是", "true", "True", "TRUE", "Y", "y", "yes", "1"})
FALSE_WORDS = frozenset({"否", "false", "False", "FALSE", "N", "n", "no", "0"})


def collection_for_label(label: str) -> str | None:
    """The collection key for a Chinese label or a key."""
    if label in COLLECTION_LABELS:
        return label
    for key, value in COLLECTION_LABELS.items():
        if value == label:
            return key
    return None


def field_for_label(label: str) -> str | None:
    """The field key for ``编号``, ``id`` or ``编号 (id)``."""
    text = label.strip()
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1:-1].strip()
    if text in FIELD_LABELS:
        return text
    for key, value in FIELD_LABELS.items():
        if value == text:
            return key
    return None


def value_for_label(label: str) -> str:
    """The enumeration key for a Chinese label (or the text unchanged)."""
    for key, value in VALUE_LABELS.items():
        if value == label:
            return key
    return label
