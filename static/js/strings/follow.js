// UI strings of "follow the teacher" (merged into i18n.js's table).

export default {
  en: {
    "follow.share": "Share live",
    "follow.live": "Live · {n} following",
    "follow.title": "Share this view live",
    "follow.help": "Students who open this link see your view and every change you make, as you make it. They can take over a private copy at any time.",
    "follow.link": "Follow link",
    "follow.stop": "Stop sharing",
    "follow.count": "{n} following now",
    "follow.connecting": "Opening a room…",
    "follow.following": "Following the teacher's view: it changes as the teacher changes it.",
    "follow.takeOver": "Take over",
    "follow.ended": "The teacher stopped sharing. This view is yours now.",
    "follow.taken": "This view is yours now: your changes are private.",
    "follow.lost": "Could not follow: {message}",
  },
  zh: {
    "follow.share": "实时共享",
    "follow.live": "直播中 · {n} 人在看",
    "follow.title": "实时共享这个视图",
    "follow.help": "打开这个链接的学生会看到你的视图，以及你做的每一处改动，实时同步。他们随时可以接管一份自己的副本。",
    "follow.link": "跟随链接",
    "follow.stop": "停止共享",
    "follow.count": "现在有 {n} 人在跟随",
    "follow.connecting": "正在创建房间…",
    "follow.following": "正在跟随老师的视图：老师改动时它会同步变化。",
    "follow.takeOver": "接管",
    "follow.ended": "老师已停止共享。这个视图现在归你了。",
    "follow.taken": "这个视图现在归你了：你的改动只有你自己看得到。",
    "follow.lost": "无法跟随：{message}",
  },
};
