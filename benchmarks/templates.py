"""Sentence and headline templates for the synthetic corpus, written for the benchmarks.

Slots: {org} {org2} an organisation, {gpe} {gpe2} a country or city, {person} a person, {law} a law
or regulation, {term} {term2} a glossary term, {n} a number, {month} a month name, {year} a year.
The English and Chinese sets are independent (not translations of each other): real coverage in the
two languages is written separately, which is what cross-language search has to bridge.
"""

EN_SENTENCES = (
    "{org} said on Tuesday that new rules on {term} would take effect in {month}.",
    "The statement from {org} urged {gpe} and {gpe2} to keep talking about {term}.",
    "{person}, speaking for {org}, called the measures on {term} a setback for {term2}.",
    "Under the {law}, companies must apply for a licence before shipping {term} items to {gpe}.",
    "Industry groups including {org} and {org2} warned that {term} could fragment the market.",
    "Officials in {gpe} said the review of {term} would conclude within {n} days.",
    "{org} reported that members had lost about {n} million dollars in sales since {month}.",
    "The working group will meet again in {gpe} to discuss {term} and {term2}.",
    "Analysts said the decision by {org} showed how closely {term} and {term2} are now linked.",
    "According to {org}, {n} companies have asked for guidance on the {law}.",
    "A spokesperson for {org} declined to comment on {term}.",
    "{person} told reporters in {gpe} that cooperation on {term} remained possible.",
    "The rules expand the list of restricted {term} products and add {n} entities.",
    "Shares of {org} fell {n} percent after the announcement on {term}.",
    "The two associations agreed to exchange data on {term} every quarter.",
    "{org2} welcomed the clarification but said questions about {term2} were unanswered.",
    "Trade lawyers expect challenges to the {law} before the end of {year}.",
    "Exports of {term} from {gpe} to {gpe2} rose {n} percent last year.",
    "The ministry in {gpe} said it firmly opposes the abuse of {term}.",
    "{org} has invested in new capacity for {term} in {gpe}.",
    "Both sides stressed that {term2} should not become a tool of political pressure.",
    "The consultation on {term} closes in {month}, and comments are public.",
    "Several members of {org} said they would comply while seeking exemptions.",
    "The guidance explains how the {law} applies to {term} developed abroad.",
    "Researchers at {org} estimate that {term} accounts for {n} percent of demand.",
)

EN_TITLES = (
    "{org} responds to new {term} rules",
    "{gpe} tightens {term}; {org} warns of costs",
    "Statement on {term} and {term2}",
    "{org} and {org2} launch working group on {term}",
    "What the {law} means for {term}",
    "{person} on {term}: cooperation still possible",
    "{gpe} reviews {term} after talks with {gpe2}",
    "Industry urges restraint on {term}",
)

ZH_SENTENCES = (
    "{org}表示，有关{term}的新规定将于{month}起实施。",
    "{org}在声明中呼吁{gpe}与{gpe2}继续就{term}保持沟通。",
    "{person}代表{org}指出，{term}措施不利于{term2}。",
    "根据{law}，企业向{gpe}出口相关物项前须申请许可。",
    "{org}和{org2}等行业组织提醒，{term}可能导致市场割裂。",
    "{gpe}有关部门表示，对{term}的审查将在{n}天内完成。",
    "{org}称，自{month}以来会员企业销售额减少约{n}亿元。",
    "工作组将在{gpe}再次开会，讨论{term}和{term2}问题。",
    "分析人士认为，{org}的决定表明{term}与{term2}已经紧密相连。",
    "据{org}统计，已有{n}家企业就{law}咨询具体要求。",
    "{org}发言人对{term}问题不予置评。",
    "{person}在{gpe}对记者表示，双方在{term}领域仍有合作空间。",
    "新规扩大了受限{term}产品的范围，并新增{n}个实体。",
    "消息公布后，{org}股价下跌{n}%。",
    "两家协会同意每季度交换一次{term}相关数据。",
    "{org2}对此表示欢迎，但认为{term2}方面的问题仍未解决。",
    "贸易律师预计，{year}年底前{law}将面临法律挑战。",
    "去年{gpe}对{gpe2}的{term}出口增长{n}%。",
    "{gpe}商务部门表示，坚决反对滥用{term}。",
    "{org}已在{gpe}投资扩大{term}产能。",
    "双方强调，{term2}不应成为政治施压的工具。",
    "关于{term}的意见征集将于{month}截止，各方意见将予以公开。",
    "{org}多家会员企业表示将依法合规经营，同时申请豁免。",
    "指南说明了{law}如何适用于在境外开发的{term}。",
    "{org}研究人员估计，{term}约占市场需求的{n}%。",
)

ZH_TITLES = (
    "{org}就{term}新规作出回应",
    "{gpe}收紧{term} {org}提示成本上升",
    "关于{term}和{term2}的声明",
    "{org}与{org2}成立{term}工作组",
    "{law}对{term}意味着什么",
    "{person}谈{term}：合作仍有可能",
    "{gpe}与{gpe2}会谈后审查{term}",
    "行业呼吁在{term}问题上保持克制",
)

# Boilerplate a republisher adds to a near-copy.
EN_REPUBLISH = ("This article first appeared on the website of {org}.", "Reposted with permission.")
ZH_REPUBLISH = ("本文转载自{org}网站。", "来源：{org}")

EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
ZH_MONTHS = tuple(f"{i}月" for i in range(1, 13))
