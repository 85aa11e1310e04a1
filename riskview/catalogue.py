"""The zh/en message catalogue: ``{message id: {"zh": ..., "en": ...}}``.

Message ids are dotted: ``app.*`` (frame), ``nav.*`` (page titles), ``rank.*`` (ranking
page), ``kpi.*``, ``col.*`` (table headers), ``chart.*``, ``ind.<indicator key>``,
``crit.<criterion key>``, ``dir.<direction>``, ``class.<1..5>``, ``band.<A..E>``,
``industry.<GB/T 4754 section letter>``, ``unit.*``.
Placeholders use ``str.format`` syntax and must be the same in both languages
(checked by ``tests/riskview/test_i18n.py``).
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh", "en")

_ENTRIES: Final[tuple[tuple[str, str, str], ...]] = (
    # --- frame -------------------------------------------------------------------------
    ("app.title", "小微企业信贷风险看板", "SME Credit Risk Dashboard"),
    ("app.language", "语言", "Language"),
    ("nav.ranking", "借款人风险排序", "Borrower risk ranking"),
    # --- ranking page ----------------------------------------------------------------------
    ("rank.title", "借款人风险排序", "Borrower risk ranking"),
    (
        "rank.intro",
        "熵权法客观赋权，灰色关联分析计算每户借款人与理想借款人的关联度；关联度越低，风险越高。",
        "Objective entropy weights and grey relational analysis measure how close each "
        "borrower is to the ideal borrower; the lower the grade, the higher the risk.",
    ),
    ("rank.snapshot", "数据日期（月末）", "Snapshot (month-end)"),
    ("rank.branches", "机构", "Branches"),
    ("rank.rho", "分辨系数 ρ", "Distinguishing coefficient ρ"),
    (
        "rank.rho_help",
        "灰色关联分析的分辨系数，通常取 0.5；越小，关联系数之间的差别越大。",
        "Grey relational distinguishing coefficient, usually 0.5; smaller values spread "
        "the coefficients further apart.",
    ),
    ("rank.top_n", "显示前 N 户", "Show top N"),
    ("rank.no_branch", "请至少选择一个机构。", "Select at least one branch."),
    (
        "rank.too_few",
        "所选范围内借款人少于 2 户（{n} 户），无法计算熵权。",
        "Fewer than 2 borrowers in the selection ({n}); entropy weights need at least 2.",
    ),
    ("rank.table_title", "风险最高的 {n} 户借款人", "The {n} riskiest borrowers"),
    (
        "rank.table_note",
        "按关联度从低到高排列（第 1 名风险最高）；主要拖累指标 = 权重 ×（1 − 关联系数）最大的 3 个指标。",
        "Sorted by grade, lowest first (rank 1 = riskiest); main drag indicators = the 3 with "
        "the largest weight × (1 − coefficient), which pull the grade down most.",
    ),
    (
        "rank.constant",
        "以下指标在所选范围内取值相同，不携带信息，权重为 0：{names}",
        "These indicators are constant in the selection, carry no information and get "
        "weight 0: {names}",
    ),
    (
        "rank.missing",
        "缺失值已填补（{policy}），户数：{items}",
        "Missing values imputed ({policy}), borrowers: {items}",
    ),
    (
        "rank.methods",
        "方法：熵权法（{method} 标准化，0·ln0 = 0）；邓氏灰色关联分析，参考序列为各指标最优值，"
        "分辨系数 ρ = {rho}；关联度 = Σ 权重 × 关联系数。评级 A–E 按关联度五等分（E 风险最高）。",
        "Methods: entropy weight method ({method} normalisation, 0·ln0 = 0); Deng grey "
        "relational analysis against the best value of each indicator, distinguishing "
        "coefficient ρ = {rho}; grade = Σ weight × coefficient. Bands A–E are grade "
        "quintiles (E = riskiest).",
    ),
    ("rank.source", "数据：内置示例贷款台账。", "Data: bundled sample loan book."),
    (
        "policy.industry_median",
        "缩尾后按同行业中位数填补，行业无值时用全体中位数",
        "winsorised, then the median of the same industry, else of all borrowers",
    ),
    # --- KPIs --------------------------------------------------------------------------
    ("kpi.borrowers", "借款人户数", "Borrowers"),
    ("kpi.balance", "贷款余额", "Loan balance"),
    ("kpi.indicators", "使用指标数", "Indicators used"),
    ("kpi.indicators_help", "权重大于 0 的指标数 / 指标总数", "Indicators with weight > 0 / all indicators"),
    ("kpi.npl_share", "不良贷款率", "NPL ratio"),
    (
        "kpi.npl_help",
        "次级、可疑、损失类贷款余额 / 贷款余额；分类取台账报送分类与逾期天数下限（2023年办法：逾期≥1天关注，>90天次级，>270天可疑，>360天损失）中较差者",
        "Balance of substandard, doubtful and loss loans / total balance; class = the worse of the reported class and the 2023 DPD floor (1+ days special mention, >90 substandard, >270 doubtful, >360 loss)",
    ),
    # --- units -------------------------------------------------------------------------
    ("unit.wan", "{value} 万元", "CNY {value} 10k"),
    ("unit.yi", "{value} 亿元", "CNY {value} 100m"),
    ("unit.million", "{value} 百万元", "CNY {value} m"),
    ("unit.billion", "{value} 十亿元", "CNY {value} bn"),
    # --- table columns -----------------------------------------------------------------
    ("col.risk_rank", "风险排名", "Risk rank"),
    ("col.borrower_id", "客户号", "Borrower ID"),
    ("col.borrower_name", "客户名称", "Borrower"),
    ("col.branch_name", "机构", "Branch"),
    ("col.industry", "行业", "Industry"),
    ("col.balance", "余额（万元）", "Balance (¥10k)"),
    ("col.worst_class", "最差分类", "Worst class"),
    ("col.grade", "关联度", "Grade"),
    ("col.rating_band", "评级", "Band"),
    ("col.drags", "主要拖累指标", "Main drag indicators"),
    # --- charts ------------------------------------------------------------------------
    ("chart.loading", "正在计算…", "Computing…"),
    ("chart.weights.title", "指标熵权", "Entropy weights of the indicators"),
    ("chart.weights.x", "权重", "Weight"),
    ("chart.weights.y", "指标", "Indicator"),
    ("chart.weights.legend", "准则层", "Criterion"),
    ("chart.grades.title", "灰色关联度分布", "Distribution of grey relational grades"),
    ("chart.grades.x", "灰色关联度", "Grey relational grade"),
    ("chart.grades.y", "借款人户数", "Borrowers"),
    ("chart.grades.legend", "评级", "Band"),
    (
        "chart.grades.note",
        "关联度越高 = 越接近理想借款人 = 风险越低",
        "Higher grade = closer to the ideal borrower = lower risk",
    ),
    ("chart.grades.riskier", "← 风险更高", "← riskier"),
    ("chart.grades.safer", "风险更低 →", "lower risk →"),
    # --- directions --------------------------------------------------------------------
    ("dir.benefit", "效益型（越大越好）", "Benefit (higher is better)"),
    ("dir.cost", "成本型（越小越好）", "Cost (lower is better)"),
    # --- five-level classification ---------------------------------------------------------
    ("class.1", "正常", "Normal"),
    ("class.2", "关注", "Special mention"),
    ("class.3", "次级", "Substandard"),
    ("class.4", "可疑", "Doubtful"),
    ("class.5", "损失", "Loss"),
    # --- rating bands (grade quintiles) ------------------------------------------------
    ("band.A", "A（风险最低）", "A (lowest risk)"),
    ("band.B", "B", "B"),
    ("band.C", "C", "C"),
    ("band.D", "D", "D"),
    ("band.E", "E（风险最高）", "E (highest risk)"),
    # --- criteria (准则层) ---------------------------------------------------------------
    ("crit.financial", "财务风险", "Financial"),
    ("crit.operational", "经营风险", "Operational"),
    ("crit.market", "市场（行业）风险", "Market / industry"),
    ("crit.credit", "信用风险", "Credit behaviour"),
    ("crit.guarantee", "担保风险", "Guarantee"),
    ("crit.compliance", "合规（法律）风险", "Compliance / legal"),
    ("crit.owner", "企业主素质", "Owner / management"),
    # --- indicators (指标层) -------------------------------------------------------------
    ("ind.asset_liability_ratio", "资产负债率", "Asset-liability ratio"),
    ("ind.current_ratio", "流动比率", "Current ratio"),
    ("ind.quick_ratio", "速动比率", "Quick ratio"),
    ("ind.interest_coverage", "利息保障倍数", "Interest coverage"),
    ("ind.roa", "总资产收益率", "Return on assets"),
    ("ind.net_margin", "销售净利率", "Net profit margin"),
    ("ind.revenue_growth", "营业收入增长率", "Revenue growth"),
    ("ind.ocf_to_current_liabilities", "经营现金流/流动负债", "Operating cash flow / current liabilities"),
    ("ind.years_in_operation", "经营年限", "Years in operation"),
    ("ind.asset_turnover", "总资产周转率", "Asset turnover"),
    ("ind.customer_concentration", "客户集中度", "Customer concentration"),
    ("ind.industry_npl_ratio", "行业不良率", "Industry NPL ratio"),
    ("ind.max_dpd_12m", "近12个月最长逾期天数", "Max days past due, 12 m"),
    ("ind.overdue_episodes_12m", "近12个月逾期次数", "Overdue episodes, 12 m"),
    ("ind.owner_credit_overdues", "企业主征信逾期次数", "Owner credit-report overdues"),
    ("ind.tax_credit_score", "纳税信用评分", "Tax credit score"),
    ("ind.relationship_years", "与本行合作年限", "Years of relationship"),
    ("ind.guarantee_score", "担保方式评分", "Guarantee type score"),
    ("ind.collateral_coverage", "抵质押覆盖率", "Collateral coverage"),
    ("ind.external_guarantee_ratio", "对外担保比率", "External guarantee ratio"),
    ("ind.litigation_count", "涉诉次数", "Litigation cases"),
    ("ind.admin_penalties", "行政处罚次数", "Administrative penalties"),
    ("ind.owner_experience_years", "企业主从业年限", "Owner's years of experience"),
    # --- GB/T 4754-2017 sections ---------------------------------------------------------
    ("industry.A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    ("industry.B", "采矿业", "Mining"),
    ("industry.C", "制造业", "Manufacturing"),
    ("industry.D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    ("industry.E", "建筑业", "Construction"),
    ("industry.F", "批发和零售业", "Wholesale and retail trade"),
    ("industry.G", "交通运输、仓储和邮政业", "Transport, storage and postal services"),
    ("industry.H", "住宿和餐饮业", "Accommodation and catering"),
    ("industry.I", "信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    ("industry.J", "金融业", "Finance"),
    ("industry.K", "房地产业", "Real estate"),
    ("industry.L", "租赁和商务服务业", "Leasing and business services"),
    ("industry.M", "科学研究和技术服务业", "Scientific research and technical services"),
    ("industry.N", "水利、环境和公共设施管理业", "Water conservancy, environment and public facilities"),
    ("industry.O", "居民服务、修理和其他服务业", "Resident, repair and other services"),
    ("industry.P", "教育", "Education"),
    ("industry.Q", "卫生和社会工作", "Health and social work"),
    ("industry.R", "文化、体育和娱乐业", "Culture, sports and entertainment"),
    ("industry.S", "公共管理、社会保障和社会组织", "Public administration, social security and social organisations"),
    ("industry.T", "国际组织", "International organisations"),
    # --- ledger issues (riskcore.ingest codes) ----------------------------------------------
    ("issue.where.cell", "{file} 第 {row} 行「{column}」", "{file}, row {row}, column '{column}'"),
    ("issue.where.row", "{file} 第 {row} 行", "{file}, row {row}"),
    ("issue.where.file", "{file}", "{file}"),
    ("severity.error", "错误", "error"),
    ("severity.warning", "提示", "warning"),
    ("issue.empty_file", "文件为空", "the file is empty"),
    ("issue.binary_not_table", "文件不是 XLSX、XLS 或文本（CSV）表格", "the file is neither XLSX, XLS nor a text (CSV) table"),
    ("issue.damaged_xlsx", "Excel 文件已损坏或不完整，请重新导出", "the Excel file is damaged or truncated; export it again"),
    ("issue.unreadable_workbook", "无法读取该工作簿", "the workbook cannot be read"),
    ("issue.undecodable_text", "文本编码既不是 UTF-8 也不是 GBK/GB18030（第 {row} 行起有无法识别的字节）",
     "the text is neither UTF-8 nor GBK/GB18030 (first bad bytes in row {row})"),
    ("issue.no_sheet", "工作簿中没有工作表", "the workbook has no sheet"),
    ("issue.unknown_sheet", "没有名为「{sheet}」的工作表", "there is no sheet '{sheet}'"),
    ("issue.no_header", "前 30 行中找不到表头行", "no header row in the first 30 rows"),
    ("issue.no_data_rows", "第 {header_row} 行是表头，但下面没有数据行", "row {header_row} is a header but no data rows follow"),
    ("issue.ragged_row", "该行有 {cells} 个非空单元格，而表头只有 {columns} 列", "the row has {cells} filled cells but the header has {columns} columns"),
    ("issue.missing_column", "缺少必填列：{field}", "required column missing: {field}"),
    ("issue.missing_branch", "文件没有机构列，请指定机构（--branch）", "the file has no branch column; give the branch (--branch)"),
    ("issue.missing_value", "必填项为空", "required value is empty"),
    ("issue.bad_number", "「{value}」不是数字", "'{value}' is not a number"),
    ("issue.bad_rate", "「{value}」不是利率（如 4.35% 或 0.0435）", "'{value}' is not a rate (e.g. 4.35% or 0.0435)"),
    ("issue.bad_date", "「{value}」不是有效日期（如 2024-06-30、2024/6/30、20240630、2024年6月30日）", "'{value}' is not a valid date (e.g. 2024-06-30, 2024/6/30, 20240630)"),
    ("issue.bad_integer", "「{value}」不是整数", "'{value}' is not a whole number"),
    ("issue.bad_flag", "「{value}」不是 是/否", "'{value}' is not yes/no"),
    ("issue.unknown_class", "「{value}」不是五级分类（正常/关注/次级/可疑/损失 或 1–5）", "'{value}' is not a loan class (normal/special mention/substandard/doubtful/loss or 1-5)"),
    ("issue.unknown_guarantee", "「{value}」不是担保方式（信用/保证/抵押/质押/组合）", "'{value}' is not a guarantee type (credit/guarantee/mortgage/pledge/mixed)"),
    ("issue.unknown_size", "「{value}」不是企业规模（大/中/小/微）", "'{value}' is not an enterprise size (large/medium/small/micro)"),
    ("issue.negative_amount", "金额为负：{value}", "negative amount: {value}"),
    ("issue.duplicate_loan_id", "借据号 {value} 与第 {first_row} 行重复", "loan id {value} repeats row {first_row}"),
    ("issue.maturity_before_origination", "到期日 {value} 早于发放日", "maturity {value} is before origination"),
    ("issue.balance_above_amount", "余额 {value} 大于贷款金额", "balance {value} is above the loan amount"),
    ("issue.class_better_than_floor", "报送分类「{value}」优于逾期 {dpd} 天对应的最低分类（{floor} 级）", "reported class '{value}' is better than the floor for {dpd} days past due (class {floor})"),
    ("issue.inclusive_flag_mismatch", "普惠标识「{value}」与授信额度（≤1000万元且为小微企业）不一致", "inclusive flag '{value}' disagrees with the credit line (<= 10 million, small or micro firm)"),
)

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    key: {"zh": zh, "en": en} for key, zh, en in _ENTRIES
}

if len(CATALOGUE) != len(_ENTRIES):  # pragma: no cover - guards against a pasted duplicate
    raise RuntimeError("duplicate message id in riskview.catalogue")
