// Cron schedules live in @skiff/api (the CronJob controller computes next times with them).
export { cronError, nextCronTime, parseCron, type CronSchedule } from '@skiff/api';
