"""The strings the browser's scripts show, translated on the server like every other message.

Scripts call ``hkT("已学 {percent}%", {percent: 40})`` (``app/static/js/i18n.js``): the Chinese text
is the key, as it is for gettext. The page carries, in its body's ``data-i18n`` attribute, each
key's translation for the visitor's language (nothing at all in Chinese), so the scripts need no
catalog of their own. A new string a script shows is added here, then extracted with the others.
"""

from flask_babel import get_locale, gettext


def N_(text: str) -> str:
    return text


JS_STRINGS = (
    # courses/static/player.js
    N_("已完成"),
    N_("已学 {percent}%"),
    N_("多次未完成学习确认，本次播放已停止计时，请刷新页面后继续学习。"),
    N_("已在其他页面播放，本页面不再记录学习进度。"),
    N_("无法记录学习进度。"),
    N_("您的浏览器无法播放此视频。"),
    N_("已从上次位置 {time} 继续"),
    N_("{seconds} 秒"),
    # courses/static/lesson_form.js
    N_("音视频 #{id} "),
    N_("已可播放。保存课时后生效。"),
    N_("上传完成，文件检测通过。"),
    # media_pipeline/static/upload.js
    N_("上传失败（HTTP {status}）"),
    N_("文件是空的（0 字节），请重新选择文件。"),
    N_("文件超过大小上限。"),
    N_("从断点继续上传……"),
    N_("正在上传……"),
    N_("已暂停，点击“开始上传”继续。"),
    N_("网络中断，{wait} 秒后自动重试（第 {failures} 次）……"),
    N_("上传完成，正在检测文件……"),
    N_("文件检测通过，已开始转码。"),
    # app/static/js/records-dashboard.js
    N_("人均学时"),
    # app/static/js/qa-ask.js
    N_("已解决"),
    N_("个回答"),
    # app/static/js/quiz-play.js
    N_("网络异常，请重试。"),
    N_("网络连接中断，请检查网络后重试。"),
    N_("单选题"),
    N_("多选题"),
    N_("判断题"),
    N_("填空题"),
    N_("正确"),
    N_("错误"),
    N_("未作答"),
    N_("提交答案"),
    N_("填写答案"),
    N_("回答正确"),
    N_("回答错误"),
    N_("+{points} 积分"),
    N_("正确答案：{answer}"),
    N_("解析：{text}"),
    N_("第 {n} 题"),
    N_("查看结果"),
    N_("下一题"),
    N_("今日答题完成"),
    N_("挑战结束"),
    N_("竞赛答题完成"),
    N_("（时间到）"),
    N_("连续答对 {n} 题"),
    N_("答对 {correct} / {total} 题"),
    N_("查看我的积分"),
    N_("返回答题"),
    # app/static/js/quiz-duel.js
    N_("（我）"),
    N_("已离开"),
    N_("已作答"),
    N_("思考中…"),
    N_("正在等待对手加入（{joined}/{capacity}）…"),
    N_("邀请链接：{link}"),
    N_("第 {round} / {rounds} 题"),
    N_("等待本轮结束…"),
    N_("房间已关闭"),
    N_("你赢了！"),
    N_("胜者：{name}"),
    N_("平局"),
    N_("对战结束"),
    N_("获胜者：{name}"),
    N_("再来一局"),
    N_("取消匹配"),
    N_("退出对战（判负）"),
    N_("退出即判负，确定退出吗？"),
    # app/static/js/membership-scan.js
    N_("请将名片二维码对准摄像头"),
    N_("已读取，正在核验……"),
    N_("无法打开摄像头，请粘贴名片内容"),
    # app/static/js/quiz-paper.js
    N_("已自动保存"),
    N_("网络异常，答案将在交卷时提交"),
    # app/static/js/interview-live.js
    N_("问："),
    N_("答："),
)


def js_catalog() -> dict[str, str]:
    """Each script string's translation for this request's language; empty in Chinese."""
    if str(get_locale()) == "zh":
        return {}
    return {text: gettext(text) for text in JS_STRINGS if gettext(text) != text}
